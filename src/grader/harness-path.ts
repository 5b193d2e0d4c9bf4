/** Where the in-kernel harness (plain JavaScript, not compiled) lives, from src/grader or src/dist/grader. */
import * as fs from 'fs';
import * as path from 'path';

function resolveHarness(): string {
  const candidates = [path.join(__dirname, 'harness.js'), path.join(__dirname, '..', '..', 'grader', 'harness.js')];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(`the grader harness is missing (looked for ${candidates.join(', ')}): reinstall optilab`);
}

/** Absolute path of harness.js. */
export const HARNESS_PATH = resolveHarness();

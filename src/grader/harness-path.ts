/** Where the grader's plain JavaScript files (run inside kernels, not compiled) live, from src/grader or src/dist/grader. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Absolute path of one of the grader's plain JavaScript files (harness.js, kernel-image.js).
 *
 * @example
 * graderAssetPath('harness.js') // '/course/src/grader/harness.js'
 */
export function graderAssetPath(name: string): string {
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', '..', 'grader', name)];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(`the grader file ${name} is missing (looked for ${candidates.join(', ')}): reinstall optilab`);
}

/** Absolute path of harness.js. */
export const HARNESS_PATH = graderAssetPath('harness.js');

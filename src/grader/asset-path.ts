/** Where the grader's plain JavaScript files (run inside kernels or workers, never compiled) live. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * The folder holding the grader's plain JavaScript files: src/grader, also when this module runs compiled
 * from src/dist/grader. That folder is never searched: tsc writes its own .js files there, and a compiled
 * module with an asset's name would be picked up in its place (kernel-image.js once was).
 */
const ASSET_DIR = path.basename(path.dirname(__dirname)) === 'dist' ? path.join(__dirname, '..', '..', 'grader') : __dirname;

/**
 * Absolute path of one of the grader's plain JavaScript files (harness.js, kernel-image-build.js, checker.js).
 *
 * @example
 * graderAssetPath('in-kernel/harness.js') // '/course/src/grader/in-kernel/harness.js'
 */
export function graderAssetPath(name: string): string {
  const p = path.join(ASSET_DIR, name);
  if (!fs.existsSync(p)) throw new Error(`the grader file ${name} is missing (looked for ${p}): reinstall optilab`);
  return p;
}

/** Absolute path of harness.js. */
export const HARNESS_PATH = graderAssetPath('in-kernel/harness.js');

/**
 * Releasing a graded lab to a class: the student version (`optilab assign release`'s logic: solutions stubbed,
 * hidden tests removed, outputs cleared) goes to the exchange, into the labs folder of every workspace that
 * does not have it yet, and every student gets their own (private) submission folder for it. Students who log
 * in for the first time later get it then (jupyterhub_config.py copies the released labs in at each spawn).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook, release } from '../grader/assignment/format';
import { fillWorkspacePath } from './config-path';
import { writeAtomic } from '../grader/output/write-atomic';
import { workspaces, type WorkspaceRecord } from './exchange';
import { ASSIGNMENT_PATTERN, type HubLayout } from './layout';

/** What `releaseToClass` did. */
export interface ReleaseReport {
  assignment: string;
  /** exchange/released/<assignment>.ipynb */
  released: string;
  /** Students whose workspace got the notebook now. */
  copiedTo: string[];
  /** Students who already had a file of that name (left as it is: it may hold their work). */
  kept: string[];
}

/**
 * Copies `files` the workspace lacks into it with fill_workspace.py, run as the workspace's owner (so a symlink a
 * student put in their workspace gives the copy no more rights than the student's own).
 */
function fillWorkspace(w: WorkspaceRecord, files: { src: string; dest: string }[]): { copied: string[]; kept: string[] } {
  const request = { workspace: w.workspace, private: w.uid !== null, files, nodeModules: null, dirs: [] };
  const asOwner = w.uid !== null && w.gid !== null && process.getuid?.() === 0 ? { uid: w.uid, gid: w.gid } : {};
  const r = spawnSync('/usr/bin/python3', [fillWorkspacePath()], { input: JSON.stringify(request), encoding: 'utf8', cwd: '/', timeout: 60_000, ...asOwner });
  if (r.status !== 0) throw new Error(`could not copy into ${w.name}'s workspace ${w.workspace}: ${(r.stderr || r.error?.message || '').trim().slice(-600)}`);
  return JSON.parse(r.stdout) as { copied: string[]; kept: string[] };
}

function ensureDir(dir: string, mode: number, uid: number | null = null, gid: number | null = null): void {
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    if (uid !== null && gid !== null && process.getuid?.() === 0) fs.chownSync(dir, uid, gid);
  }
  fs.chmodSync(dir, mode);
}

/**
 * Releases the assignment `source` (an nbgrader-style source notebook, e.g. notebooks/labs/quantization-lab.ipynb)
 * to everyone in the hub at `layout`. Throws NotebookFormatError when the source has problems.
 *
 * @example
 * const r = releaseToClass('notebooks/labs/quantization-lab.ipynb', hubLayout('.cache/hub'));
 * console.log(`${r.assignment}: ${r.copiedTo.length} workspaces`);
 */
export function releaseToClass(source: string, layout: HubLayout, labsFolder = 'labs'): ReleaseReport {
  const file = path.resolve(source);
  const assignment = path.basename(file).replace(/\.ipynb$/i, '');
  if (!ASSIGNMENT_PATTERN.test(assignment)) {
    throw new Error(`cannot release ${file}: its name becomes the assignment name and a folder name; rename it with letters, digits and _ . - only`);
  }
  const student = release(parseNotebook(fs.readFileSync(file, 'utf8'), path.basename(file)));
  const text = JSON.stringify(student, null, 1) + '\n';
  ensureDir(layout.released, 0o755);
  const released = path.join(layout.released, `${assignment}.ipynb`);
  writeAtomic(released, text);
  fs.chmodSync(released, 0o644);
  const submittedDir = path.join(layout.submitted, assignment);
  ensureDir(layout.submitted, 0o755);
  ensureDir(submittedDir, 0o711);

  const copiedTo: string[] = [];
  const kept: string[] = [];
  for (const w of workspaces(layout)) {
    ensureDir(path.join(submittedDir, w.name), 0o700, w.uid, w.gid);
    if (!fs.existsSync(w.workspace)) continue; // removed since: gets it at the next login
    const r = fillWorkspace(w, [{ src: released, dest: path.join(labsFolder, `${assignment}.ipynb`) }]);
    (r.copied.length ? copiedTo : kept).push(w.name);
  }
  return { assignment, released, copiedTo, kept };
}

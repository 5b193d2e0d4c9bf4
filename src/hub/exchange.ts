/**
 * The assignment exchange of a class hub (inside its state folder):
 *   released/<assignment>.ipynb                              the student version every workspace gets
 *   submitted/<assignment>/<student>/<UTC stamp>.ipynb         every submission, kept
 *   submitted/<assignment>/<student>/submission.json           {assignment, student, submissions: [...]}, latest last
 * Submissions are written by the lab's POST /optilab/submit (labextension/app/optilab_submit.py).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { HubLayout } from './layout';

/** One hand-in, as recorded in submission.json. */
export interface SubmissionEntry {
  /** File name inside the student's submission folder. */
  file: string;
  /** ISO 8601 UTC time the lab server received it. */
  submittedAt: string;
  sha256?: string;
  bytes?: number;
  /** The notebook's path in the student's workspace. */
  path?: string;
}

/** A student's submissions of one assignment, oldest first. */
export interface StudentSubmissions {
  student: string;
  folder: string;
  submissions: SubmissionEntry[];
}

/** A workspace the hub prepared (recorded at each spawn by jupyterhub_config.py). */
export interface WorkspaceRecord {
  name: string;
  workspace: string;
  /** Owner of the workspace (PAM users), or null when the servers run as the hub's user. */
  uid: number | null;
  gid: number | null;
}

/**
 * Names of the released assignments.
 *
 * @example
 * releasedAssignments(hubLayout('.cache/hub')); // ['quantization-lab']
 */
export function releasedAssignments(layout: HubLayout): string[] {
  if (!fs.existsSync(layout.released)) return [];
  return fs
    .readdirSync(layout.released)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.ipynb'.length))
    .sort();
}

/**
 * The workspaces of every student who has logged in at least once.
 *
 * @example
 * workspaces(hubLayout('.cache/hub')).map((w) => w.name); // ['alice', 'bob']
 */
export function workspaces(layout: HubLayout): WorkspaceRecord[] {
  if (!fs.existsSync(layout.workspaces)) return [];
  const out: WorkspaceRecord[] = [];
  for (const f of fs.readdirSync(layout.workspaces).sort()) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(layout.workspaces, f), 'utf8')) as WorkspaceRecord;
      if (typeof r.name === 'string' && typeof r.workspace === 'string') out.push(r);
    } catch {
      // a record being rewritten: the next spawn writes it again
    }
  }
  return out;
}

/** Parses the UTC time of a submission file name (`2025-03-01T12-30-05.123Z.ipynb`), or null. */
export function stampTime(file: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(\.\d{3})?Z\.ipynb$/.exec(file);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}${m[5] ?? '.000'}Z` : null;
}

/**
 * Every student's submissions of `assignment`, from submission.json (or, when that is missing or broken, from
 * the time-stamped file names). Entries whose notebook is gone are dropped.
 *
 * @example
 * submissionsOf(hubLayout('.cache/hub'), 'quantization-lab')[0].submissions.at(-1)?.submittedAt;
 */
export function submissionsOf(layout: HubLayout, assignment: string): StudentSubmissions[] {
  const dir = path.join(layout.submitted, assignment);
  if (!fs.existsSync(dir)) return [];
  const out: StudentSubmissions[] = [];
  for (const student of fs.readdirSync(dir).sort()) {
    const folder = path.join(dir, student);
    if (student.startsWith('.') || !fs.statSync(folder).isDirectory()) continue;
    let entries: SubmissionEntry[] = [];
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(folder, 'submission.json'), 'utf8')) as { submissions?: SubmissionEntry[] };
      entries = (meta.submissions ?? []).filter((e) => typeof e?.file === 'string' && typeof e.submittedAt === 'string');
    } catch {
      entries = [];
    }
    const files = fs.readdirSync(folder).filter((f) => stampTime(f) !== null);
    if (!entries.length && files.length) entries = files.map((file) => ({ file, submittedAt: stampTime(file)! }));
    entries = entries.filter((e) => !e.file.includes('/') && fs.existsSync(path.join(folder, e.file)));
    entries.sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt));
    out.push({ student, folder, submissions: entries });
  }
  return out;
}

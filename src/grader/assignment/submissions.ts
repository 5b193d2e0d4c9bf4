/**
 * Which notebook belongs to which student: ids made from file and folder names, and the notebook picked from a
 * student's folder. Ids are injective and depend only on the name, so a rerun into the same output folder can
 * never give one student's row to another.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** One student's submission as found on disk. */
export interface Submission {
  student: string;
  /** The notebook file, or null when the student's folder has none (or no single one to grade). */
  file: string | null;
  /** Other notebooks in the student's folder that were not graded (file names). */
  ignored?: string[];
  /** Why the submission cannot be graded (set with `file: null`), e.g. several notebooks and none named as the assignment. */
  refusal?: string;
}

const SAFE = /^[A-Za-z0-9_-]$|^\.$/;
const MAX_ID = 100;

/**
 * A file-name-safe student id that is injective: letters, digits, `_`, `-` and `.` (not leading) stay, every
 * other byte of the UTF-8 name becomes `~hh`. A trailing `.ipynb` is dropped. Ids longer than 100 characters are
 * cut and end in `~~` plus a hash of the whole name (`~~` never occurs in an uncut id).
 *
 * @example
 * studentId('zoe_b.ipynb') // 'zoe_b'
 * studentId('zoe b.ipynb') // 'zoe~20b'
 */
export function studentId(name: string): string {
  const base = name.replace(/\.ipynb$/i, '');
  let id = '';
  for (const ch of base) {
    if (SAFE.test(ch) && !(ch === '.' && id === '')) id += ch;
    else for (const b of Buffer.from(ch, 'utf8')) id += '~' + b.toString(16).padStart(2, '0');
  }
  if (id === '') return '~';
  if (id.length <= MAX_ID) return id;
  return id.slice(0, MAX_ID - 18) + '~~' + createHash('sha256').update(base).digest('hex').slice(0, 16);
}

/**
 * Picks the notebook to grade among a student folder's notebooks: the one named as the assignment
 * (`<assignment>.ipynb`, case-insensitive), else the only one. Several and none named so: refused.
 *
 * @example
 * pickNotebook(['Scratch.ipynb', 'quantization-lab.ipynb'], 'quantization-lab')
 * // { file: 'quantization-lab.ipynb', ignored: ['Scratch.ipynb'] }
 */
export function pickNotebook(names: string[], assignment: string): { file: string | null; ignored: string[]; refusal?: string } {
  const nbs = names.filter((f) => f.toLowerCase().endsWith('.ipynb') && !f.startsWith('.')).sort();
  if (nbs.length === 0) return { file: null, ignored: [] };
  const want = `${assignment}.ipynb`.toLowerCase();
  const named = nbs.filter((f) => f.toLowerCase() === want);
  if (named.length === 1) return { file: named[0], ignored: nbs.filter((f) => f !== named[0]) };
  if (nbs.length === 1) return { file: nbs[0], ignored: [] };
  return {
    file: null,
    ignored: nbs,
    refusal: `the folder has ${nbs.length} notebooks (${nbs.join(', ')}) and ${named.length ? 'several' : 'none'} named ${assignment}.ipynb: keep only the notebook to grade, named ${assignment}.ipynb`,
  };
}

/**
 * Lists submissions: `<student>.ipynb` files and `<student>/` folders (the notebook picked by `pickNotebook`).
 * Throws when two entries would get the same student id (e.g. `alice.ipynb` and `alice/`), naming both.
 *
 * @example
 * listSubmissions('submissions/', 'quantization-lab') // [{ student: 'alice', file: '.../alice.ipynb' }, ...]
 */
export function listSubmissions(dir: string, assignment: string): Submission[] {
  const out: Submission[] = [];
  const owner = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.') || entry.name === '__MACOSX') continue;
    const full = path.join(dir, entry.name);
    let sub: Submission;
    const id = studentId(entry.name);
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.ipynb')) sub = { student: id, file: full };
    else if (entry.isDirectory()) {
      const pick = pickNotebook(fs.readdirSync(full), assignment);
      sub = { student: id, file: pick.file ? path.join(full, pick.file) : null, ignored: pick.ignored };
      if (pick.refusal) sub.refusal = pick.refusal;
    } else continue;
    const other = owner.get(id);
    if (other !== undefined) {
      throw new Error(`${path.join(dir, other)} and ${full} are both submissions of student id '${id}': keep one of them (rename or remove the other) and grade again`);
    }
    owner.set(id, entry.name);
    out.push(sub);
  }
  return out;
}

/**
 * Extracts a zip of submissions into `dir` (Python's zipfile: entries with absolute paths or '..' stay
 * inside `dir`); a zip of one folder is unwrapped, so its entries are the submissions.
 *
 * @example
 * extractSubmissionsZip('subs.zip', '/tmp/og-1/submissions');
 */
export function extractSubmissionsZip(zip: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('/usr/bin/python3', ['-m', 'zipfile', '-e', zip, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`cannot extract ${zip}: ${(r.stderr || r.error?.message || '').trim()}`);
  // a zip of one folder: grade that folder's entries
  const entries = fs.readdirSync(dir).filter((e) => !e.startsWith('.') && e !== '__MACOSX');
  if (entries.length === 1 && fs.statSync(path.join(dir, entries[0])).isDirectory()) {
    const inner = path.join(dir, entries[0]);
    const sub = fs.readdirSync(inner);
    if (sub.some((s) => s.toLowerCase().endsWith('.ipynb')) || sub.every((s) => fs.statSync(path.join(inner, s)).isDirectory())) {
      for (const s of sub) fs.renameSync(path.join(inner, s), path.join(dir, s));
      fs.rmdirSync(inner);
    }
  }
}

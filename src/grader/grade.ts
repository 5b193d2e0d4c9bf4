/**
 * `optilab grade`: grades every submission of a folder or zip against an assignment SOURCE.
 *
 * Per submission, in parallel across cores (a warm pool of fresh sandboxed kernels, one kernel per student):
 * plan (answers from the submission, tests and locked cells from the source) -> run -> result. Outputs in
 * <out>: results/<student>.json (the record of truth, written atomically and last), feedback/<student>.html,
 * gradescope/<student>/results.json, gradebook.sqlite (sql.js, saved atomically after every result) and
 * grades.csv. Resumable: a student whose results/<student>.json matches the current source and submission
 * (sha256 of both) is skipped, and the gradebook is re-synchronized from results/ on start, so a run killed at
 * any moment loses at most the submissions in flight and never counts one twice.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeSource, GradedCell, NotebookFormatError, parseNotebook } from './format';
import { kernelContext, writeAtomic } from './context';
import { gradescopeResults, renderFeedback } from './feedback';
import { Gradebook } from './gradebook';
import { planSubmission } from './plan';
import { roundScore, SubmissionResult } from './result';
import { DEFAULT_LIMITS, KernelPool, RunLimits, runPlan } from './runner';
import { SandboxLimits } from './sandbox';

/** One submission found in the input. */
export interface Submission {
  student: string;
  /** The notebook file, or null when the student's folder has none. */
  file: string | null;
}

export interface GradeOptions {
  /** Assignment source notebook (with solutions and hidden tests). */
  source: string;
  /** Folder of submissions (<student>.ipynb or <student>/<any>.ipynb) or a .zip of such a folder. */
  submissions: string;
  out: string;
  /** The optilab checkout whose tslab and node_modules the kernels use. */
  repo: string;
  concurrency?: number;
  limits?: RunLimits;
  sandboxLimits?: SandboxLimits;
  /** Called after each submission (and for skipped ones). */
  onProgress?: (e: ProgressEvent) => void;
}

export interface ProgressEvent {
  done: number;
  total: number;
  student: string;
  skipped: boolean;
  result?: SubmissionResult;
  error?: string;
}

export interface GradeSummary {
  total: number;
  graded: number;
  skipped: number;
  /** Submissions the grader itself failed on (no result written: a rerun retries them). */
  failed: { student: string; error: string }[];
  seconds: number;
  out: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A file-name-safe student id. */
export function studentId(name: string): string {
  const s = name.replace(/\.ipynb$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s.slice(0, 100) || 'unnamed';
}

/**
 * Lists submissions: `<student>.ipynb` files and `<student>/` folders (their first .ipynb, by name).
 *
 * @example
 * listSubmissions('submissions/') // [{ student: 'alice', file: '.../alice.ipynb' }, ...]
 */
export function listSubmissions(dir: string): Submission[] {
  const out: Submission[] = [];
  const used = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === '__MACOSX') continue;
    const full = path.join(dir, entry.name);
    let file: string | null = null;
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.ipynb')) file = full;
    else if (entry.isDirectory()) {
      const nbs = fs.readdirSync(full).filter((f) => f.toLowerCase().endsWith('.ipynb') && !f.startsWith('.')).sort();
      file = nbs.length ? path.join(full, nbs[0]) : null;
    } else continue;
    let id = studentId(entry.name);
    for (let k = 2; used.has(id); k++) id = `${studentId(entry.name)}-${k}`;
    used.add(id);
    out.push({ student: id, file });
  }
  return out;
}

/** Extracts a zip into `dir` (Python's zipfile: entries with absolute paths or '..' stay inside `dir`). */
function extractZip(zip: string, dir: string): void {
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

function invalidResult(base: Omit<SubmissionResult, 'status' | 'score' | 'tests' | 'cells' | 'notes' | 'restarts' | 'seconds'>, tests: GradedCell[], why: string[]): SubmissionResult {
  return {
    ...base,
    status: 'invalid',
    score: 0,
    tests: tests.map((t) => ({ gradeId: t.gradeId, points: t.points, earned: 0, checks: [], message: 'not run: the submission could not be graded' })),
    cells: [],
    notes: why,
    restarts: 0,
    seconds: 0,
  };
}

/**
 * Grades one submission file (or a missing one) against the analyzed source.
 */
async function gradeOne(sub: Submission, sourceCells: GradedCell[], meta: { assignment: string; assignmentSha: string }, pool: KernelPool, limits: RunLimits): Promise<SubmissionResult> {
  const started = Date.now();
  const testsCells = sourceCells.filter((c) => c.kind === 'tests');
  const maxScore = testsCells.reduce((s, c) => s + c.points, 0);
  const bytes = sub.file ? fs.readFileSync(sub.file) : null;
  const base = { student: sub.student, assignment: meta.assignment, assignmentSha: meta.assignmentSha, submissionSha: bytes ? sha256(bytes) : '', maxScore, gradedAt: new Date().toISOString() };
  if (!bytes) return invalidResult(base, testsCells, ['no notebook (.ipynb) was found in this submission']);
  if (bytes.length > 50 * 2 ** 20) return invalidResult(base, testsCells, [`the notebook is ${(bytes.length / 2 ** 20).toFixed(0)} MB, more than the 50 MB a submission may have`]);
  let nb;
  try {
    nb = parseNotebook(bytes.toString('utf8'), path.basename(sub.file!));
  } catch (e) {
    if (e instanceof NotebookFormatError) return invalidResult(base, testsCells, e.problems.map((p) => p.message));
    throw e;
  }
  const { plan, notes } = planSubmission(sourceCells, nb);
  const run = await runPlan(plan, () => pool.acquire(), limits);
  const score = roundScore(run.tests.reduce((s, t) => s + t.earned, 0));
  return { ...base, status: 'graded', score, tests: run.tests, cells: run.cells, notes, restarts: run.restarts, seconds: (Date.now() - started) / 1000 };
}

/** Where one student's files go. */
export function outputPaths(out: string, student: string) {
  return {
    result: path.join(out, 'results', `${student}.json`),
    feedback: path.join(out, 'feedback', `${student}.html`),
    gradescope: path.join(out, 'gradescope', student, 'results.json'),
  };
}

function readResult(file: string): SubmissionResult | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as SubmissionResult;
    return typeof r.student === 'string' && typeof r.score === 'number' ? r : null;
  } catch {
    return null;
  }
}

/**
 * Grades a folder or zip of submissions (see the file comment for outputs and resumption).
 *
 * @example
 * const summary = await gradeSubmissions({ source: 'lab.ipynb', submissions: 'subs/', out: 'graded/', repo: repoRoot() });
 */
export async function gradeSubmissions(opts: GradeOptions): Promise<GradeSummary> {
  const started = Date.now();
  const sourceText = fs.readFileSync(opts.source, 'utf8');
  const nb = parseNotebook(sourceText, path.basename(opts.source));
  const { cells, problems } = analyzeSource(nb);
  if (problems.length) throw new NotebookFormatError(problems);
  const meta = { assignment: path.basename(opts.source).replace(/\.ipynb$/i, ''), assignmentSha: sha256(sourceText) };
  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const { opts: kernelOpts, cleanup } = kernelContext(opts.repo, opts.sandboxLimits);
  let subDir = opts.submissions;
  if (fs.statSync(opts.submissions).isFile()) {
    if (!opts.submissions.toLowerCase().endsWith('.zip')) throw new Error(`${opts.submissions} is neither a folder nor a .zip of submissions`);
    subDir = path.join(kernelOpts.workDir, 'submissions');
    extractZip(opts.submissions, subDir);
  }
  const subs = listSubmissions(subDir);
  const gradebook = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  // Re-synchronize the gradebook with the results already written (a previous run may have stopped between).
  const resultsDir = path.join(out, 'results');
  if (fs.existsSync(resultsDir)) {
    for (const f of fs.readdirSync(resultsDir).filter((x) => x.endsWith('.json'))) {
      const r = readResult(path.join(resultsDir, f));
      if (r) gradebook.upsert(r);
    }
    gradebook.save();
  }
  const todo: Submission[] = [];
  let done = 0;
  let skipped = 0;
  for (const s of subs) {
    const prev = readResult(outputPaths(out, s.student).result);
    const sha = s.file ? sha256(fs.readFileSync(s.file)) : '';
    if (prev && prev.assignmentSha === meta.assignmentSha && prev.submissionSha === sha) {
      skipped++;
      done++;
      opts.onProgress?.({ done, total: subs.length, student: s.student, skipped: true, result: prev });
    } else todo.push(s);
  }
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? os.cpus().length, todo.length || 1));
  const pool = new KernelPool(kernelOpts, todo.length ? concurrency : 0);
  const failed: GradeSummary['failed'] = [];
  let graded = 0;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const sub = todo[next++];
      try {
        const r = await gradeOne(sub, cells, meta, pool, limits);
        const p = outputPaths(out, sub.student);
        writeAtomic(p.feedback, renderFeedback(r));
        writeAtomic(p.gradescope, JSON.stringify(gradescopeResults(r), null, 1) + '\n');
        writeAtomic(p.result, JSON.stringify(r, null, 1) + '\n'); // the commit point of this submission
        gradebook.upsert(r);
        gradebook.save();
        graded++;
        done++;
        opts.onProgress?.({ done, total: subs.length, student: sub.student, skipped: false, result: r });
      } catch (e) {
        const error = (e as Error).message ?? String(e);
        failed.push({ student: sub.student, error });
        done++;
        opts.onProgress?.({ done, total: subs.length, student: sub.student, skipped: false, error });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    writeAtomic(path.join(out, 'grades.csv'), gradebook.toCsv());
  } finally {
    await pool.close();
    gradebook.close();
    cleanup();
  }
  return { total: subs.length, graded, skipped, failed, seconds: (Date.now() - started) / 1000, out };
}

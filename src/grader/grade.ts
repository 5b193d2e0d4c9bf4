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
 *
 * Where the submissions are graded is a {@link GradingEngine}: local kernels (the default), or the workers of a
 * Redis queue (`queue`, see ./queue.ts). Either way every result goes through the same commit path
 * ({@link GradeOutput.commit}), so the outputs are the same.
 */
import { defaultGradingJobs } from './jobs';
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelContext, writeAtomic } from './context';
import { gradescopeResults, renderFeedback } from './feedback';
import { Gradebook } from './gradebook';
import { ID_SCHEME, SubmissionResult } from './result';
import { DEFAULT_LIMITS, KernelOptions, KernelPool, RunLimits } from './runner';
import { SandboxLimits } from './sandbox';
import { listSubmissions } from './submissions';

/** One submission found in the input. */
export { listSubmissions, pickNotebook, studentId } from './submissions';
export type { Submission } from './submissions';
export { gradeSubmission, invalidSubmission, prepareAssignment, readSubmission } from './engine';
export type { Assignment, GradingEngine, GradingSink, PendingSubmission, SubmissionFile } from './engine';
import { Assignment, GradingEngine, GradingSink, gradeSubmission, invalidSubmission, PendingSubmission, prepareAssignment, readSubmission } from './engine';

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
  /**
   * redis://host:port of a grading queue: submissions are graded by `optilab grade-worker` processes (on any
   * machines) instead of local kernels; this process only enqueues, collects and writes. Unset: local grading.
   */
  queue?: string;
  /** Called after each submission (and for skipped ones). */
  onProgress?: (e: ProgressEvent) => void;
  /** Messages about the grading as a whole (e.g. that no queue worker is connected yet). */
  onNotice?: (message: string) => void;
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

/** Where one student's files go. */
export function outputPaths(out: string, student: string) {
  return {
    result: path.join(out, 'results', `${student}.json`),
    feedback: path.join(out, 'feedback', `${student}.html`),
    gradescope: path.join(out, 'gradescope', student, 'results.json'),
  };
}

/** Moves one student's result, feedback and Gradescope file to `<out>/stale/` (kept for the instructor); returns the id. */
function moveStale(out: string, id: string): string {
  const from = outputPaths(out, id);
  const to = outputPaths(path.join(out, 'stale'), id);
  for (const k of ['feedback', 'gradescope', 'result'] as const) {
    if (!fs.existsSync(from[k])) continue;
    fs.mkdirSync(path.dirname(to[k]), { recursive: true });
    fs.renameSync(from[k], to[k]);
  }
  return id;
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
 * The output folder of a grading run. `commit(result)` is the one place results are written, keyed by student
 * and the sha256 of the source and the submission: a result already committed under the same key is not written
 * (or counted) again, so engines that deliver at least once (a queue) still count each submission once.
 *
 * @example
 * const out = await GradeOutput.open('graded/'); out.commit(result); out.finish(); out.close();
 */
export class GradeOutput {
  private constructor(
    readonly dir: string,
    private readonly gradebook: Gradebook,
  ) {}

  /**
   * Opens (creating) `dir` and rebuilds its gradebook from the results already written (the record of truth), so
   * a row without a result, or a run stopped between a result and the gradebook save, cannot survive. Results that
   * cannot be trusted to belong to the student they name (written by a grader before the injective ids of
   * {@link ID_SCHEME}, or stored under another student's file name) are moved with their feedback to `stale/`,
   * named in `onNotice`, and that student is graded again.
   */
  static async open(dir: string, onNotice?: (message: string) => void): Promise<GradeOutput> {
    const out = path.resolve(dir);
    fs.mkdirSync(out, { recursive: true });
    const gradebook = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
    gradebook.clear();
    const resultsDir = path.join(out, 'results');
    const stale: string[] = [];
    if (fs.existsSync(resultsDir)) {
      for (const f of fs.readdirSync(resultsDir).filter((x) => x.endsWith('.json')).sort()) {
        const r = readResult(path.join(resultsDir, f));
        if (!r) continue;
        const id = f.slice(0, -'.json'.length);
        if (r.idScheme === ID_SCHEME && r.student === id) gradebook.upsert(r);
        else stale.push(moveStale(out, id));
      }
    }
    gradebook.save();
    if (stale.length) {
      onNotice?.(`${stale.length} result(s) in ${out} were keyed by an older grader's student ids and may belong to another student: moved to ${path.join(out, 'stale')} (${stale.join(', ')}); these students are graded again`);
    }
    return new GradeOutput(out, gradebook);
  }

  /** The committed result of `student` for exactly this source and submission, or null. */
  current(student: string, assignmentSha: string, submissionSha: string): SubmissionResult | null {
    const prev = readResult(outputPaths(this.dir, student).result);
    return prev && prev.idScheme === ID_SCHEME && prev.assignmentSha === assignmentSha && prev.submissionSha === submissionSha ? prev : null;
  }

  /** Writes feedback, Gradescope file, the result record (the commit point) and the gradebook row. False when already committed. */
  commit(r: SubmissionResult): boolean {
    if (this.current(r.student, r.assignmentSha, r.submissionSha)) return false;
    const p = outputPaths(this.dir, r.student);
    writeAtomic(p.feedback, renderFeedback(r));
    writeAtomic(p.gradescope, JSON.stringify(gradescopeResults(r), null, 1) + '\n');
    writeAtomic(p.result, JSON.stringify(r, null, 1) + '\n'); // the commit point of this submission
    this.gradebook.upsert(r);
    this.gradebook.save();
    return true;
  }

  /** Writes grades.csv from the gradebook. */
  finish(): void {
    writeAtomic(path.join(this.dir, 'grades.csv'), this.gradebook.toCsv());
  }

  close(): void {
    this.gradebook.close();
  }
}

/**
 * Local grading: `concurrency` submissions at a time, each in fresh kernels from one warm pool.
 *
 * @example
 * await localEngine(kernelOpts, 2, assignment, DEFAULT_LIMITS).grade(todo, sink);
 */
export function localEngine(kernelOpts: KernelOptions, concurrency: number, a: Assignment, limits: RunLimits): GradingEngine {
  return {
    async grade(todo, sink) {
      const n = Math.max(1, Math.min(concurrency, todo.length || 1));
      const pool = new KernelPool(kernelOpts, todo.length ? n : 0);
      let next = 0;
      const worker = async () => {
        while (next < todo.length) {
          const sub = todo[next++];
          let r: SubmissionResult;
          try {
            r = await gradeSubmission(sub.student, readSubmission(sub), a, pool, limits);
          } catch (e) {
            sink.failed(sub, (e as Error).message ?? String(e));
            continue;
          }
          sink.done(sub, r);
        }
      };
      try {
        await Promise.all(Array.from({ length: n }, worker));
      } finally {
        await pool.close();
      }
    },
  };
}

/**
 * Grades a folder or zip of submissions (see the file comment for outputs and resumption).
 *
 * @example
 * const summary = await gradeSubmissions({ source: 'lab.ipynb', submissions: 'subs/', out: 'graded/', repo: repoRoot() });
 * // on the workers of a queue instead of local kernels:
 * await gradeSubmissions({ ...same, queue: 'redis://10.0.0.5:6379' });
 */
export async function gradeSubmissions(opts: GradeOptions): Promise<GradeSummary> {
  const started = Date.now();
  const sourceText = fs.readFileSync(opts.source, 'utf8');
  const assignment = prepareAssignment(sourceText, path.basename(opts.source));
  const limits = opts.limits ?? DEFAULT_LIMITS;
  // Local grading needs tslab and bubblewrap here (and says so at once); with a queue only the workers do.
  const local = opts.queue ? null : kernelContext(opts.repo, opts.sandboxLimits);
  const scratch = local ? local.opts.workDir : fs.mkdtempSync(path.join(os.tmpdir(), 'og-'));
  const cleanup = local ? local.cleanup : () => fs.rmSync(scratch, { recursive: true, force: true });
  try {
    let subDir = opts.submissions;
    if (fs.statSync(opts.submissions).isFile()) {
      if (!opts.submissions.toLowerCase().endsWith('.zip')) throw new Error(`${opts.submissions} is neither a folder nor a .zip of submissions`);
      subDir = path.join(scratch, 'submissions');
      extractZip(opts.submissions, subDir);
    }
    const subs = listSubmissions(subDir, assignment.assignment);
    const output = await GradeOutput.open(opts.out, opts.onNotice);
    try {
      const todo: PendingSubmission[] = [];
      let done = 0;
      let skipped = 0;
      let graded = 0;
      for (const s of subs) {
        const sha = s.file ? sha256(fs.readFileSync(s.file)) : '';
        const prev = output.current(s.student, assignment.assignmentSha, sha);
        if (s.refusal && !prev) output.commit({ ...invalidSubmission(s.student, null, assignment)!, notes: [s.refusal] });
        if (prev || s.refusal) {
          skipped += prev ? 1 : 0;
          graded += s.refusal && !prev ? 1 : 0;
          done++;
          opts.onProgress?.({ done, total: subs.length, student: s.student, skipped: !!prev, result: prev ?? output.current(s.student, assignment.assignmentSha, '')! });
        } else todo.push({ ...s, sha });
      }
      const failed: GradeSummary['failed'] = [];
      const sink: GradingSink = {
        done(sub, r) {
          done++;
          if (sub.ignored?.length) r = { ...r, notes: [...r.notes, `not graded, other notebooks in the folder: ${sub.ignored.join(', ')}`] };
          if (!output.commit(r)) {
            // already committed under the same key (a result delivered twice): counted once
            skipped++;
            opts.onProgress?.({ done, total: subs.length, student: sub.student, skipped: true, result: output.current(r.student, r.assignmentSha, r.submissionSha) ?? r });
            return;
          }
          graded++;
          opts.onProgress?.({ done, total: subs.length, student: sub.student, skipped: false, result: r });
        },
        failed(sub, error) {
          failed.push({ student: sub.student, error });
          done++;
          opts.onProgress?.({ done, total: subs.length, student: sub.student, skipped: false, error });
        },
      };
      const engine: GradingEngine = local
        ? localEngine(local.opts, opts.concurrency ?? defaultGradingJobs(opts.sandboxLimits?.memoryMiB), assignment, limits)
        : (await import('./queue')).queueEngine({ url: opts.queue!, sourceText, sourceName: path.basename(opts.source), assignment, limits, sandboxLimits: opts.sandboxLimits, onNotice: opts.onNotice });
      await engine.grade(todo, sink);
      output.finish();
      return { total: subs.length, graded, skipped, failed, seconds: (Date.now() - started) / 1000, out: output.dir };
    } finally {
      output.close();
    }
  } finally {
    cleanup();
  }
}

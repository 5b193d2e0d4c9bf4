/**
 * `optilab grade`: grades every submission of a folder or zip against an assignment SOURCE.
 *
 * Per submission, in parallel across cores (a warm pool of fresh sandboxed kernels, one kernel per student):
 * plan (answers from the submission, tests and locked cells from the source) -> run -> result. Outputs in
 * <out>: results/<student>.json (the record of truth, written atomically and last), feedback/<student>.html,
 * gradescope/<student>/results.json, gradebook.sqlite (sql.js, saved atomically after every result) and
 * grades.csv. Resumable: a student whose results/<student>.json matches the current source and submission
 * (sha256 of both) and was graded under the same limits (its settings hash) is skipped, and the gradebook is
 * re-synchronized from results/ on start, so a run killed at any moment loses at most the submissions in flight
 * and never counts one twice; a run with other limits (--cell-timeout, --memory, ...) grades everyone again.
 *
 * Where the submissions are graded is a {@link GradingEngine}: local kernels (the default, ./local-engine.ts),
 * or the workers of a Redis queue (`queue`, see ./queue.ts). Either way every result goes through the same
 * commit path ({@link GradeOutput.commit} in ../output/grade-output.ts), so the outputs are the same.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultGradingJobs } from './jobs';
import { kernelContext } from './context';
import { GradeOutput } from '../output/grade-output';
import { SubmissionResult } from '../output/result';
import { DEFAULT_LIMITS, RunLimits } from '../trusted/runner';
import { localEngine } from './local-engine';
import { SandboxLimits } from '../kernel/sandbox';
import { extractSubmissionsZip, listSubmissions } from '../assignment/submissions';
import { GradingEngine, GradingSink, invalidSubmission, PendingSubmission, prepareAssignment } from './engine';

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
      extractSubmissionsZip(opts.submissions, subDir);
    }
    const subs = listSubmissions(subDir, assignment.assignment);
    // A result graded under other limits is not current: a rerun with another --memory or --cell-timeout regrades.
    const output = await GradeOutput.open(opts.out, opts.onNotice, { limits, sandboxLimits: opts.sandboxLimits });
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

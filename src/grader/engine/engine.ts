/**
 * What every grading engine shares (local kernels in ./local-engine.ts, queue workers in ./queue.ts and ./worker.ts):
 * the analyzed assignment, a submission's file, the engine and sink interfaces, the check that settles a
 * submission that cannot be graded at all, and the grading of one submission in fresh kernels. It imports
 * neither ./grade.ts nor ./queue.ts.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, GradedCell, NotebookFormatError, parseNotebook } from '../assignment/format';
import { planSubmission } from '../assignment/plan';
import { ID_SCHEME, roundScore, SubmissionResult } from '../output/result';
import { KernelPool, RunLimits, runPlan } from '../trusted/runner';
import { Submission } from '../assignment/submissions';

/** The analyzed assignment every submission is graded against. */
export interface Assignment {
  /** Tests, locked and solution cells of the source (hidden tests included). */
  cells: GradedCell[];
  /** The assignment's name (the source file name without .ipynb). */
  assignment: string;
  /** sha256 of the source text. */
  assignmentSha: string;
}

/** A submission's notebook: its file name (for messages) and its bytes. */
/**
 * The largest notebook a student may hand in (50 MiB): the grader refuses a bigger submission file, and the
 * lab's Submit (labextension/app/optilab_submit.py) gets this value from the hub (OPTILAB_SUBMISSION_MAX_BYTES).
 */
export const MAX_SUBMISSION_BYTES = 50 * 2 ** 20;

export interface SubmissionFile {
  name: string;
  bytes: Buffer;
}

/** A submission still to be graded, with the sha256 of its file ('' when it has none). */
export interface PendingSubmission extends Submission {
  sha: string;
}

/** Where an engine reports each graded submission (committed at once) or grader failure. */
export interface GradingSink {
  done(sub: PendingSubmission, result: SubmissionResult): void;
  failed(sub: PendingSubmission, error: string): void;
}

/** Grades pending submissions somewhere (local kernels, a queue) and reports each to the sink. */
export interface GradingEngine {
  grade(todo: PendingSubmission[], sink: GradingSink): Promise<void>;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * Parses and analyzes an assignment source (throws NotebookFormatError on authoring problems).
 *
 * @example
 * const a = prepareAssignment(fs.readFileSync('lab.ipynb', 'utf8'), 'lab.ipynb'); // { assignment: 'lab', assignmentSha, cells }
 */
export function prepareAssignment(sourceText: string, fileName: string): Assignment {
  const nb = parseNotebook(sourceText, fileName);
  const { cells, problems } = analyzeSource(nb);
  if (problems.length) throw new NotebookFormatError(problems);
  return { cells, assignment: fileName.replace(/\.ipynb$/i, ''), assignmentSha: sha256(sourceText) };
}

/** Reads a submission's notebook (null when it has none). */
export function readSubmission(sub: Submission): SubmissionFile | null {
  return sub.file ? { name: path.basename(sub.file), bytes: fs.readFileSync(sub.file) } : null;
}

function resultBase(student: string, file: SubmissionFile | null, a: Assignment) {
  const maxScore = a.cells.filter((c) => c.kind === 'tests').reduce((s, c) => s + c.points, 0);
  return { student, idScheme: ID_SCHEME, assignment: a.assignment, assignmentSha: a.assignmentSha, submissionSha: file ? sha256(file.bytes) : '', maxScore, gradedAt: new Date().toISOString() };
}

function invalidResult(base: ReturnType<typeof resultBase>, tests: GradedCell[], why: string[]): SubmissionResult {
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

type Checked = { invalid: SubmissionResult } | { invalid: null; nb: ReturnType<typeof parseNotebook>; base: ReturnType<typeof resultBase> };

function check(student: string, file: SubmissionFile | null, a: Assignment): Checked {
  const base = resultBase(student, file, a);
  const tests = a.cells.filter((c) => c.kind === 'tests');
  if (!file) return { invalid: invalidResult(base, tests, ['no notebook (.ipynb) was found in this submission']) };
  if (file.bytes.length > MAX_SUBMISSION_BYTES) return { invalid: invalidResult(base, tests, [`the notebook is ${(file.bytes.length / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_SUBMISSION_BYTES / 2 ** 20} MiB a submission may have`]) };
  try {
    return { invalid: null, nb: parseNotebook(file.bytes.toString('utf8'), file.name), base };
  } catch (e) {
    if (e instanceof NotebookFormatError) return { invalid: invalidResult(base, tests, e.problems.map((p) => p.message)) };
    throw e;
  }
}

/**
 * The result of a submission that cannot be graded at all (no notebook, too large, not a tslab notebook), or null
 * when it can be run. Cheap: engines use it to settle such submissions without starting a kernel.
 *
 * @example
 * invalidSubmission('alice', null, assignment)?.notes // ['no notebook (.ipynb) was found in this submission']
 */
export function invalidSubmission(student: string, file: SubmissionFile | null, a: Assignment): SubmissionResult | null {
  return check(student, file, a).invalid;
}

/**
 * Grades one submission against the analyzed source, in fresh kernels from `pool` (this is what local grading
 * and a queue worker both run).
 *
 * @example
 * const r = await gradeSubmission('alice', readSubmission(sub), assignment, pool, DEFAULT_LIMITS);
 */
export async function gradeSubmission(student: string, file: SubmissionFile | null, a: Assignment, pool: KernelPool, limits: RunLimits): Promise<SubmissionResult> {
  const started = Date.now();
  const c = check(student, file, a);
  if (c.invalid) return c.invalid;
  const { plan, notes } = planSubmission(a.cells, c.nb);
  const run = await runPlan(plan, () => pool.acquire(), limits);
  const score = roundScore(run.tests.reduce((s, t) => s + t.earned, 0));
  return { ...c.base, status: 'graded', score, tests: run.tests, cells: run.cells, notes, restarts: run.restarts, seconds: (Date.now() - started) / 1000 };
}

/** The graded result of one submission: what the gradebook, the feedback page and the exports are made from. */
import { createHash } from 'crypto';
import type { CellOutcome, KernelOptions, RunLimits, TestOutcome } from '../trusted/runner';

/**
 * The version of the student-id scheme (`studentId` in submissions.ts) a result was keyed by. Version 2 ids are
 * injective; results of an older grader (no `idScheme`) may hold another student's grade under a shared id.
 */
export const ID_SCHEME = 2;

export interface SubmissionResult {
  student: string;
  /** The student-id scheme of `student` ({@link ID_SCHEME}); missing in results of graders before it. */
  idScheme?: number;
  assignment: string;
  /** sha256 of the assignment source file: a changed source regrades everything. */
  assignmentSha: string;
  /** sha256 of the submitted file ('' when there is none). */
  submissionSha: string;
  /**
   * {@link gradingSettingsHash} of the limits it was graded under: a run with other limits grades it again.
   * Missing in results of graders before it (such a result is graded again too).
   */
  settingsHash?: string;
  /**
   * The sandbox limits in force where it was graded, as the grading machine reported them (the `limits: ...` line
   * of `sandboxReport`); set by queue workers, so `optilab grade --queue` can say which limits held on the workers.
   */
  limitsInForce?: string;
  /** 'graded', or 'invalid' when the file could not be graded at all (not a tslab nbformat-4 notebook). */
  status: 'graded' | 'invalid';
  score: number;
  maxScore: number;
  tests: TestOutcome[];
  cells: CellOutcome[];
  /** What the grader ignored or replaced, and why a submission is invalid. */
  notes: string[];
  restarts: number;
  seconds: number;
  gradedAt: string;
}

/** Rounds a score for display and storage (scores are sums of fractions of points). */
export function roundScore(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The grading settings that can change a result: the run limits and the sandbox limits of the kernels. */
export interface GradingSettings {
  limits: RunLimits;
  /** The kernels' SandboxLimits (src/grader/kernel/sandbox.ts): memory, processes, file size, CPU, scratch. */
  sandboxLimits?: KernelOptions['limits'];
}

/** `o`'s numeric fields in key order (unset fields dropped), so equal settings always serialize alike. */
function numericFields(o: object | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(o ?? {}).sort()) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/**
 * A short hash of the grading settings a result depends on (timeouts, output cap, restarts, memory, processes,
 * file size, CPU and scratch limits), stored in {@link SubmissionResult.settingsHash}: a result graded under other
 * settings is not current. Key order and unset fields do not matter.
 *
 * @example
 * gradingSettingsHash({ limits: DEFAULT_LIMITS, sandboxLimits: { memoryMiB: 512 } }); // 'v1-6c1f...'
 */
export function gradingSettingsHash(s: GradingSettings): string {
  const canonical = JSON.stringify({ limits: numericFields(s.limits), sandbox: numericFields(s.sandboxLimits) });
  return `v1-${createHash('sha256').update(canonical).digest('hex').slice(0, 24)}`;
}

/** The graded result of one submission: what the gradebook, the feedback page and the exports are made from. */
import type { CellOutcome, TestOutcome } from '../trusted/runner';

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

/**
 * The exercise format shared by the course site (checked in the browser) and the grader (graded labs).
 * An exercise is plain JSON-able data: a numeric question, a multiple-choice question, or a code exercise
 * whose visible tests use the small test API of `test-api.ts` (`check(name, points, fn)`).
 */

/** Fields every exercise has. */
export interface ExerciseBase {
  /** Stable id, unique in the catalog (letters, digits, dashes): the key of the saved progress. */
  id: string;
  /** Short title shown above the prompt. */
  title: string;
  /** The question, in Markdown (KaTeX math allowed in the site). */
  prompt: string;
  /** Points for a fully correct answer (> 0). */
  points: number;
  /** Shown after a correct answer (and on request): why the answer is what it is. */
  explanation: string;
  /** Chapter page and section the exercise belongs to, e.g. `quantization#calibration`. */
  section?: string;
}

/** A question answered by one number, accepted within an absolute or relative tolerance. */
export interface NumericExercise extends ExerciseBase {
  kind: 'numeric';
  answer: number;
  /** Accepted when |given - answer| <= abs, or <= rel * |answer| (either is enough). Default: rel 1e-6. */
  tolerance?: { abs?: number; rel?: number };
  /** Unit shown next to the input box, e.g. `bytes`. */
  unit?: string;
  /** Messages for a wrong answer that is too small / too large (a hint, not the answer). */
  hints?: { low?: string; high?: string };
}

/** One option of a multiple-choice question. */
export interface ChoiceOption {
  id: string;
  text: string;
  correct: boolean;
  /** Why this option is right or wrong: shown when it was picked wrongly. */
  feedback?: string;
}

/** A multiple-choice question: one correct option, or several (`multiple: true`, all must be picked). */
export interface ChoiceExercise extends ExerciseBase {
  kind: 'choice';
  options: ChoiceOption[];
  multiple?: boolean;
}

/**
 * A code exercise: the reader edits `starter` (TypeScript) until the visible `tests` pass.
 * `tests` is TypeScript too; it runs after the reader's code in the same scope and calls
 * `check(name, points, fn)` from the test API (plus `ref`, the library functions the runner provides).
 */
export interface CodeExercise extends ExerciseBase {
  kind: 'code';
  starter: string;
  /** A reference solution: must pass every test (checked by the exercise tests). */
  solution: string;
  tests: string;
  /** Wall-clock limit of one run in milliseconds (the site kills its worker after it). Default 2000. */
  timeLimitMs?: number;
}

export type Exercise = NumericExercise | ChoiceExercise | CodeExercise;
export type ExerciseKind = Exercise['kind'];

/** The outcome of checking one answer. `score` is in [0, points]; `message` says what was wrong or right. */
export interface CheckResult {
  correct: boolean;
  score: number;
  points: number;
  message: string;
  /** Per-test details of a code exercise. */
  tests?: TestOutcome[];
}

/** The result of one `check(name, points, fn)` call. */
export interface TestOutcome {
  name: string;
  points: number;
  /** Points earned: `points` when passed, a fraction of them when the test returned a fraction, else 0. */
  earned: number;
  passed: boolean;
  message: string;
}

/** Default time limit of a code exercise run. */
export const DEFAULT_TIME_LIMIT_MS = 2000;

/**
 * Saved progress of a reader: per exercise id, the best score and whether it was solved. Kept as JSON in the
 * browser's localStorage by the site (any `{ getItem, setItem }` store works, so it is testable in Node).
 */

/** The progress of one exercise. */
export interface ExerciseProgress {
  solved: boolean;
  best: number;
  points: number;
  attempts: number;
  /** Last answer (typed text, picked ids, or code), restored when the page is opened again. */
  answer?: string | string[];
}

/** Minimal key-value store (the shape of `window.localStorage`). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** localStorage key of the progress record. */
export const PROGRESS_KEY = 'optilab.exercises.v1';

/**
 * Reads the progress record (an empty one when missing or unreadable).
 *
 * @example
 * loadProgress(window.localStorage)['quant-scale']?.solved;
 */
export function loadProgress(store: KeyValueStore): Record<string, ExerciseProgress> {
  try {
    const raw = store.getItem(PROGRESS_KEY);
    const v = raw ? (JSON.parse(raw) as unknown) : {};
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, ExerciseProgress>) : {};
  } catch {
    return {};
  }
}

/**
 * Records one attempt: keeps the best score, marks solved once correct, remembers the last answer.
 *
 * @example
 * recordAttempt(window.localStorage, 'quant-scale', { correct: true, score: 1, points: 1 }, '0.0235');
 */
export function recordAttempt(
  store: KeyValueStore,
  id: string,
  result: { correct: boolean; score: number; points: number },
  answer?: string | string[],
): ExerciseProgress {
  const all = loadProgress(store);
  const prev = all[id];
  const next: ExerciseProgress = {
    solved: Boolean(prev?.solved) || result.correct,
    best: Math.max(prev?.best ?? 0, result.score),
    points: result.points,
    attempts: (prev?.attempts ?? 0) + 1,
    answer,
  };
  all[id] = next;
  store.setItem(PROGRESS_KEY, JSON.stringify(all));
  return next;
}

/** Checking numeric answers within a tolerance, with a hint when the answer is too small or too large. */
import type { CheckResult, NumericExercise } from './types';

/**
 * Parses what a reader typed: plain numbers, `1e-3`, `1_000`, `3/4`, or a percentage like `12.5%` (-> 0.125).
 * Returns NaN when the text is not a number.
 *
 * @example
 * parseNumber('3/4'); // 0.75
 * parseNumber('12.5%'); // 0.125
 */
export function parseNumber(text: string): number {
  const t = text.trim().replace(/[_\s,]/g, '');
  if (t === '') return NaN;
  const frac = /^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\/([-+]?\d*\.?\d+(?:e[-+]?\d+)?)$/i.exec(t);
  if (frac) return Number(frac[1]) / Number(frac[2]);
  if (t.endsWith('%')) {
    const v = Number(t.slice(0, -1));
    return Number.isFinite(v) ? v / 100 : NaN;
  }
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

/**
 * Checks a numeric answer (a number or the typed text).
 *
 * @example
 * checkNumeric({ kind: 'numeric', id: 'n', title: 'T', prompt: 'P', points: 1, explanation: 'E', answer: 4,
 *   tolerance: { abs: 0.01 } }, '4.005'); // { correct: true, score: 1, ... }
 */
export function checkNumeric(ex: NumericExercise, given: number | string): CheckResult {
  const value = typeof given === 'number' ? given : parseNumber(given);
  const fail = (message: string): CheckResult => ({ correct: false, score: 0, points: ex.points, message });
  if (!Number.isFinite(value)) {
    return fail(`"${String(given)}" is not a number I can read: type digits like 0.25, 1e-3, 3/4 or 25%.`);
  }
  const abs = ex.tolerance?.abs;
  const rel = ex.tolerance?.rel ?? (abs === undefined ? 1e-6 : undefined);
  const diff = Math.abs(value - ex.answer);
  const ok = (abs !== undefined && diff <= abs) || (rel !== undefined && diff <= rel * Math.abs(ex.answer));
  if (ok) return { correct: true, score: ex.points, points: ex.points, message: `Correct: ${ex.explanation}` };
  const low = value < ex.answer;
  const hint = low ? ex.hints?.low : ex.hints?.high;
  return fail(`Not quite: ${value} is too ${low ? 'small' : 'large'}.${hint ? ' ' + hint : ''}`);
}

/**
 * Validation of exercise definitions: a catalog with a wrong field fails loudly with every problem listed,
 * before a reader (or a grader) meets it.
 */
import type { Exercise } from './types';

const ID = /^[a-z0-9][a-z0-9-]*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Lists what is wrong with one exercise definition (empty when valid).
 *
 * @example
 * exerciseProblems({ kind: 'numeric', id: 'x', title: 'T', prompt: 'P', points: 1, explanation: 'E', answer: 4 }); // []
 * exerciseProblems({ kind: 'numeric' }); // ['id must be ...', ...]
 */
export function exerciseProblems(value: unknown): string[] {
  const p: string[] = [];
  if (!isObject(value)) return ['an exercise must be an object'];
  const where = typeof value.id === 'string' ? `exercise "${value.id}"` : 'exercise';
  if (typeof value.id !== 'string' || !ID.test(value.id)) p.push(`${where}: id must be lower-case letters, digits and dashes`);
  for (const k of ['title', 'prompt', 'explanation'] as const) {
    if (typeof value[k] !== 'string' || (value[k] as string).trim() === '') p.push(`${where}: ${k} must be a non-empty string`);
  }
  if (typeof value.points !== 'number' || !(value.points > 0)) p.push(`${where}: points must be a number > 0`);
  switch (value.kind) {
    case 'numeric': {
      if (typeof value.answer !== 'number' || !Number.isFinite(value.answer)) p.push(`${where}: answer must be a finite number`);
      const t = value.tolerance;
      if (t !== undefined) {
        if (!isObject(t)) p.push(`${where}: tolerance must be { abs?, rel? }`);
        else for (const k of ['abs', 'rel']) {
          if (t[k] !== undefined && (typeof t[k] !== 'number' || (t[k] as number) < 0)) p.push(`${where}: tolerance.${k} must be a number >= 0`);
        }
      }
      break;
    }
    case 'choice': {
      const opts = value.options;
      if (!Array.isArray(opts) || opts.length < 2) { p.push(`${where}: options must list at least 2 choices`); break; }
      const ids = new Set<string>();
      let correct = 0;
      opts.forEach((o, i) => {
        if (!isObject(o) || typeof o.id !== 'string' || typeof o.text !== 'string' || typeof o.correct !== 'boolean') {
          p.push(`${where}: options[${i}] must be { id: string, text: string, correct: boolean }`);
          return;
        }
        if (ids.has(o.id)) p.push(`${where}: option id "${o.id}" is repeated`);
        ids.add(o.id);
        if (o.correct) correct++;
      });
      if (correct === 0) p.push(`${where}: no option is marked correct`);
      if (!value.multiple && correct > 1) p.push(`${where}: ${correct} options are correct but multiple is not set`);
      break;
    }
    case 'code': {
      for (const k of ['starter', 'solution', 'tests'] as const) {
        if (typeof value[k] !== 'string' || (value[k] as string).trim() === '') p.push(`${where}: ${k} must be non-empty TypeScript source`);
      }
      if (typeof value.tests === 'string' && !/\bcheck\s*\(/.test(value.tests)) p.push(`${where}: tests must call check(name, points, fn)`);
      if (value.timeLimitMs !== undefined && (typeof value.timeLimitMs !== 'number' || value.timeLimitMs < 100)) p.push(`${where}: timeLimitMs must be >= 100`);
      break;
    }
    default:
      p.push(`${where}: kind must be 'numeric', 'choice' or 'code' (got ${JSON.stringify(value.kind)})`);
  }
  return p;
}

/**
 * Checks a whole catalog (every exercise valid, ids unique) and returns it typed; throws listing every problem.
 *
 * @example
 * const exercises = assertCatalog(JSON.parse(text));
 */
export function assertCatalog(values: unknown): Exercise[] {
  if (!Array.isArray(values)) throw new Error('An exercise catalog must be an array of exercises.');
  const problems = values.flatMap((v) => exerciseProblems(v));
  const seen = new Set<string>();
  for (const v of values) {
    if (isObject(v) && typeof v.id === 'string') {
      if (seen.has(v.id)) problems.push(`exercise "${v.id}": id is used twice`);
      seen.add(v.id);
    }
  }
  if (problems.length) throw new Error(`Invalid exercise catalog:\n- ${problems.join('\n- ')}`);
  return values as Exercise[];
}

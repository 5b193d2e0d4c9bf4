/**
 * The exercises of the "Model Optimizations" chapter, in page order. The site shows them with
 * `<Exercise id="..."/>`; the grader can reuse the same definitions.
 */
import type { Exercise } from '../types';
import { assertCatalog } from '../validate';
import { structureExercises } from './structure';
import { numericsExercises } from './numerics';
import { quantizationExercises } from './quantization';
import { systemsExercises } from './systems';
import { transformerExercises } from './transformers';

/** Every chapter exercise, validated (throws at import time when a definition is broken). */
export const chapterExercises: Exercise[] = assertCatalog([
  ...structureExercises,
  ...numericsExercises,
  ...quantizationExercises,
  ...systemsExercises,
  ...transformerExercises,
]);

/**
 * Looks an exercise up by id; throws naming the known ids when it does not exist.
 *
 * @example
 * getExercise('prune-magnitude').kind; // 'code'
 */
export function getExercise(id: string): Exercise {
  const ex = chapterExercises.find((e) => e.id === id);
  if (!ex) throw new Error(`No exercise "${id}". Known ids: ${chapterExercises.map((e) => e.id).join(', ')}`);
  return ex;
}

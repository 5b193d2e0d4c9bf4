/** Checking multiple-choice answers, with the feedback of each wrongly picked or missed option. */
import type { CheckResult, ChoiceExercise } from './types';

/**
 * Checks the selected option ids. Single-answer questions need exactly the correct option; multi-answer
 * questions need every correct option and no wrong one (partial credit: the fraction of options judged right).
 *
 * @example
 * checkChoice(question, ['b']); // { correct: true, score: 1, points: 1, message: 'Correct: ...' }
 */
export function checkChoice(ex: ChoiceExercise, selected: string[]): CheckResult {
  const known = new Set(ex.options.map((o) => o.id));
  const unknown = selected.filter((s) => !known.has(s));
  if (unknown.length) {
    throw new Error(`checkChoice: unknown option id(s) ${unknown.join(', ')} for exercise "${ex.id}" (options: ${[...known].join(', ')})`);
  }
  if (selected.length === 0) return { correct: false, score: 0, points: ex.points, message: 'Pick an option first.' };
  const picked = new Set(selected);
  if (!ex.multiple && picked.size > 1) {
    return { correct: false, score: 0, points: ex.points, message: 'Only one option is correct here: pick one.' };
  }
  const wrongPicks = ex.options.filter((o) => picked.has(o.id) && !o.correct);
  const missed = ex.options.filter((o) => !picked.has(o.id) && o.correct);
  if (wrongPicks.length === 0 && missed.length === 0) {
    return { correct: true, score: ex.points, points: ex.points, message: `Correct: ${ex.explanation}` };
  }
  const right = ex.options.length - wrongPicks.length - missed.length;
  const score = ex.multiple ? Math.round((ex.points * right * 1000) / ex.options.length) / 1000 : 0;
  const parts = wrongPicks.map((o) => `"${o.text}" is not right${o.feedback ? ': ' + o.feedback : '.'}`);
  if (missed.length) parts.push(`${missed.length} correct option${missed.length > 1 ? 's are' : ' is'} not picked yet.`);
  return { correct: false, score, points: ex.points, message: `Not quite. ${parts.join(' ')}` };
}

/**
 * From an assignment source and a student's notebook to the list of cells the grader executes.
 * The SOURCE decides everything that is not the student's answer: tests cells (with their hidden tests) and
 * locked cells always come from the source, in the source's order; from the submission only the code of
 * solution cells (matched by grade_id) and the student's own extra cells are taken. Whatever the student did
 * to tests or locked cells (edit, delete, reorder, duplicate) is ignored and reported in the feedback.
 */
import { analyzeSource, cellChecksum, cellSource, GradedCell, Notebook, stripHidden, stripSolution } from './format';

/** One cell of a grading plan. */
export interface PlanCell {
  kind: 'student' | 'locked' | 'tests';
  gradeId: string;
  source: string;
  points: number;
}

/** The plan plus human-readable notes about what was ignored or replaced. */
export interface SubmissionPlan {
  plan: PlanCell[];
  notes: string[];
}

/**
 * The solution run of a source: every cell exactly as the instructor wrote it (hidden tests included).
 *
 * @example
 * const plan = solutionPlan(analyzeSource(nb).cells);
 */
export function solutionPlan(cells: GradedCell[]): PlanCell[] {
  return cells
    .filter((c) => c.kind !== 'markdown')
    .map((c) => ({ kind: c.kind === 'tests' ? 'tests' : c.kind === 'solution' ? 'student' : 'locked', gradeId: c.gradeId, source: c.source, points: c.points }));
}

/**
 * Builds the grading plan of one submission against the analyzed source cells.
 *
 * @example
 * const { plan, notes } = planSubmission(analyzeSource(source).cells, parseNotebook(text));
 */
export function planSubmission(source: GradedCell[], submission: Notebook): SubmissionPlan {
  const notes: string[] = [];
  const byId = new Map<string, GradedCell>();
  for (const c of source) if (c.kind !== 'markdown') byId.set(c.gradeId, c);
  const answers = new Map<string, string>();
  // Student code cells that are not graded cells run after the graded cell that precedes them.
  const extrasAfter = new Map<string, string[]>();
  let last = '';
  const seenIds = new Set<string>();
  const order: string[] = [];
  for (const cell of submission.cells) {
    if (cell.cell_type !== 'code') continue;
    const meta = cell.metadata?.nbgrader;
    // (code cells without metadata in the source were released as locked cells with ids auto-0, auto-1, ...)
    const id = typeof meta?.grade_id === 'string' ? meta.grade_id : '';
    const text = cellSource(cell);
    const known = id ? byId.get(id) : undefined;
    if (!known) {
      if (text.trim()) {
        const list = extrasAfter.get(last) ?? [];
        list.push(text);
        extrasAfter.set(last, list);
      }
      continue;
    }
    if (seenIds.has(id)) {
      notes.push(`cell '${id}' appears more than once in your notebook: only the first copy was used`);
      continue;
    }
    seenIds.add(id);
    order.push(id);
    last = id;
    if (known.kind === 'solution') answers.set(id, text);
    else {
      const released = known.kind === 'tests' ? stripHidden(known.source) : known.source;
      if (cellChecksum('code', text) !== cellChecksum('code', released)) {
        notes.push(`${known.kind === 'tests' ? 'tests' : 'locked'} cell '${id}' was modified in your notebook: the original was used`);
      }
    }
  }
  const sourceOrder = source.filter((c) => c.kind !== 'markdown').map((c) => c.gradeId);
  const present = sourceOrder.filter((id) => seenIds.has(id));
  if (present.join('\n') !== order.join('\n')) notes.push('cells were reordered in your notebook: the assignment order was used');
  const plan: PlanCell[] = [];
  const pushExtras = (after: string) => {
    for (const text of extrasAfter.get(after) ?? []) plan.push({ kind: 'student', gradeId: `extra-${plan.length}`, source: text, points: 0 });
  };
  pushExtras('');
  for (const c of source) {
    if (c.kind === 'markdown') continue;
    if (c.kind === 'solution') {
      let text = answers.get(c.gradeId);
      if (text === undefined) {
        notes.push(`answer cell '${c.gradeId}' is missing from your notebook: the empty stub was used`);
        text = stripSolution(c.source);
      }
      plan.push({ kind: 'student', gradeId: c.gradeId, source: text, points: 0 });
    } else if (c.kind === 'tests') {
      if (!seenIds.has(c.gradeId)) notes.push(`tests cell '${c.gradeId}' was deleted from your notebook: it was run from the assignment`);
      plan.push({ kind: 'tests', gradeId: c.gradeId, source: c.source, points: c.points });
    } else {
      if (!seenIds.has(c.gradeId)) notes.push(`locked cell '${c.gradeId}' was deleted from your notebook: it was run from the assignment`);
      plan.push({ kind: 'locked', gradeId: c.gradeId, source: c.source, points: 0 });
    }
    pushExtras(c.gradeId);
  }
  return { plan, notes };
}

/** Convenience: analyze a source notebook and throw on authoring problems. */
export function sourceCells(nb: Notebook): GradedCell[] {
  return analyzeSource(nb).cells;
}

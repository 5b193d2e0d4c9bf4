/**
 * The graded-lab notebook format (nbgrader's conventions for TypeScript notebooks on the tslab kernel):
 * cell metadata `nbgrader: { grade_id, grade, solution, locked, points }` and the markers
 * `// BEGIN SOLUTION` / `// END SOLUTION` (solution cells) and `// BEGIN HIDDEN TESTS` / `// END HIDDEN TESTS`
 * (test cells). This file parses and checks a source notebook, classifies its cells, and makes the student
 * version (`release`). Pure functions: no kernel, no file system.
 */
import { createHash } from 'crypto';

/** A notebook cell in nbformat 4. */
export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  metadata: Record<string, any>;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

/** An nbformat 4 notebook. */
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: NotebookCell[];
}

/** What a cell is for the grader. */
export type CellKind = 'solution' | 'tests' | 'locked' | 'markdown';

/** A classified cell of a source notebook. */
export interface GradedCell {
  index: number;
  kind: CellKind;
  gradeId: string;
  cellType: NotebookCell['cell_type'];
  source: string;
  /** Points of a tests cell (0 otherwise). */
  points: number;
}

/** A problem found in an assignment source. */
export interface AuthoringProblem {
  cell: number | null;
  message: string;
}

/** Thrown when a notebook cannot be used; `problems` lists every issue found. */
export class NotebookFormatError extends Error {
  constructor(readonly problems: AuthoringProblem[]) {
    super(problems.map((p) => (p.cell === null ? p.message : `cell ${p.cell + 1}: ${p.message}`)).join('\n'));
    this.name = 'NotebookFormatError';
  }
}

export const MARKERS = {
  beginSolution: '// BEGIN SOLUTION',
  endSolution: '// END SOLUTION',
  beginHidden: '// BEGIN HIDDEN TESTS',
  endHidden: '// END HIDDEN TESTS',
} as const;

/** The stub that replaces a solution region in the student version (keeps the region's indentation). */
export const STUB = ['// YOUR CODE HERE', "throw new Error('not implemented yet: replace this line with your code');"];

/** The cell source as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
}

/** Splits a string into nbformat's list-of-lines form. */
export function toSourceLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l)).filter((l, i) => l !== '' || i < lines.length - 1);
}

/**
 * Parses notebook JSON text and checks it is nbformat 4 for the tslab kernel.
 *
 * @example
 * const nb = parseNotebook(fs.readFileSync('lab.ipynb', 'utf8'), 'lab.ipynb');
 */
export function parseNotebook(text: string, name = 'notebook'): Notebook {
  let nb: any;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError([{ cell: null, message: `${name} is not valid JSON (${(e as Error).message}): save it again from Jupyter` }]);
  }
  const problems: AuthoringProblem[] = [];
  if (!nb || typeof nb !== 'object' || Array.isArray(nb)) problems.push({ cell: null, message: `${name} is not a notebook object` });
  else {
    if (nb.nbformat !== 4) problems.push({ cell: null, message: `${name} is nbformat ${String(nb.nbformat)}, expected nbformat 4 (open and save it in JupyterLab)` });
    if (!Array.isArray(nb.cells)) problems.push({ cell: null, message: `${name} has no cell list` });
    const kernel = nb.metadata?.kernelspec?.name;
    if (kernel !== 'tslab') problems.push({ cell: null, message: `${name} is for the kernel '${String(kernel)}', expected 'tslab' (TypeScript)` });
    if (Array.isArray(nb.cells)) {
      nb.cells.forEach((c: any, i: number) => {
        if (!c || typeof c !== 'object' || !['code', 'markdown', 'raw'].includes(c.cell_type)) problems.push({ cell: i, message: 'is not a valid cell' });
        else if (typeof c.source !== 'string' && !(Array.isArray(c.source) && c.source.every((s: unknown) => typeof s === 'string'))) problems.push({ cell: i, message: 'has an invalid source' });
        else if (c.metadata !== undefined && (typeof c.metadata !== 'object' || c.metadata === null)) problems.push({ cell: i, message: 'has invalid metadata' });
      });
    }
  }
  if (problems.length) throw new NotebookFormatError(problems);
  for (const c of nb.cells) c.metadata = c.metadata ?? {};
  return nb as Notebook;
}

interface Region {
  begin: number;
  end: number;
}

/** Finds the marker regions of `text` (line indices); reports unbalanced or nested markers. */
function regions(lines: string[], begin: string, end: string, cell: number, problems: AuthoringProblem[]): Region[] {
  const out: Region[] = [];
  let open = -1;
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === begin) {
      if (open >= 0) problems.push({ cell, message: `'${begin}' on line ${i + 1} inside another region opened on line ${open + 1}` });
      else open = i;
    } else if (t === end) {
      if (open < 0) problems.push({ cell, message: `'${end}' on line ${i + 1} has no matching '${begin}'` });
      else out.push({ begin: open, end: i });
      open = -1;
    }
  });
  if (open >= 0) problems.push({ cell, message: `'${begin}' on line ${open + 1} is never closed with '${end}'` });
  return out;
}

function hasMarker(lines: string[], markers: string[]): boolean {
  return lines.some((l) => markers.includes(l.trim()));
}

/** Checksum of a locked cell (type + source), stored by release and compared at grading. */
export function cellChecksum(cellType: string, source: string): string {
  return createHash('sha256').update(`${cellType}\n${source}`).digest('hex');
}

/**
 * Classifies every cell of an assignment SOURCE and lists authoring mistakes: duplicate or missing grade_ids,
 * tests without points, unbalanced or misplaced markers, manually graded cells (not supported).
 * Code cells without nbgrader metadata are treated as locked (they run from the source when grading).
 *
 * @example
 * const { cells, problems } = analyzeSource(nb);
 */
export function analyzeSource(nb: Notebook): { cells: GradedCell[]; problems: AuthoringProblem[] } {
  const problems: AuthoringProblem[] = [];
  const cells: GradedCell[] = [];
  const seen = new Map<string, number>();
  let auto = 0;
  nb.cells.forEach((cell, index) => {
    const source = cellSource(cell);
    const lines = source.split('\n');
    const meta = cell.metadata?.nbgrader;
    if (cell.cell_type !== 'code') {
      if (meta?.solution || meta?.grade) problems.push({ cell: index, message: 'only code cells can be solution or test cells (free-text answers are not autograded)' });
      if (hasMarker(lines, Object.values(MARKERS))) problems.push({ cell: index, message: 'a markdown cell contains grading markers' });
      cells.push({ index, kind: 'markdown', gradeId: String(meta?.grade_id ?? `md-${index}`), cellType: cell.cell_type, source, points: 0 });
      return;
    }
    let kind: CellKind;
    let gradeId: string;
    let points = 0;
    if (!meta) {
      kind = 'locked';
      gradeId = `auto-${auto++}`;
    } else {
      gradeId = typeof meta.grade_id === 'string' ? meta.grade_id.trim() : '';
      if (!gradeId) problems.push({ cell: index, message: 'nbgrader metadata without a grade_id: give every graded cell a unique grade_id' });
      if (meta.solution && meta.grade) problems.push({ cell: index, message: 'manually graded answers (solution and grade both true) are not supported: split it into a solution cell and a tests cell' });
      if (meta.grade) {
        kind = 'tests';
        points = Number(meta.points);
        if (!(Number.isFinite(points) && points > 0)) problems.push({ cell: index, message: `tests cell '${gradeId}' has no points: set nbgrader.points to a positive number` });
      } else if (meta.solution) kind = 'solution';
      else kind = 'locked';
    }
    if (gradeId) {
      if (seen.has(gradeId)) problems.push({ cell: index, message: `duplicate grade_id '${gradeId}' (also cell ${seen.get(gradeId)! + 1})` });
      seen.set(gradeId, index);
    }
    const sol = regions(lines, MARKERS.beginSolution, MARKERS.endSolution, index, problems);
    const hid = regions(lines, MARKERS.beginHidden, MARKERS.endHidden, index, problems);
    if (kind !== 'solution' && (sol.length || hasMarker(lines, [MARKERS.beginSolution, MARKERS.endSolution]))) problems.push({ cell: index, message: `solution markers in a ${kind} cell: mark the cell nbgrader.solution = true` });
    if (kind !== 'tests' && (hid.length || hasMarker(lines, [MARKERS.beginHidden, MARKERS.endHidden]))) problems.push({ cell: index, message: `hidden-test markers in a ${kind} cell: only tests cells (nbgrader.grade = true) may hide tests` });
    if (kind === 'tests' && /^\s*import\s[^(]/m.test(source)) problems.push({ cell: index, message: `tests cell '${gradeId}' has an import statement: move imports to a locked setup cell` });
    if (kind === 'tests' && !/\bcheck\s*\(/.test(source)) problems.push({ cell: index, message: `tests cell '${gradeId}' calls no check(name, points, fn)` });
    cells.push({ index, kind, gradeId, cellType: 'code', source, points: Number.isFinite(points) ? points : 0 });
  });
  if (!cells.some((c) => c.kind === 'tests')) problems.push({ cell: null, message: 'the assignment has no tests cell (nbgrader.grade = true with points)' });
  return { cells, problems };
}

/** Replaces solution regions by the stub (a solution cell without markers becomes the stub entirely). */
export function stripSolution(source: string): string {
  const lines = source.split('\n');
  const found = regions(lines, MARKERS.beginSolution, MARKERS.endSolution, 0, []);
  if (!found.length) return STUB.join('\n');
  const out: string[] = [];
  let i = 0;
  for (const r of found) {
    out.push(...lines.slice(i, r.begin));
    const indent = /^\s*/.exec(lines[r.begin])![0];
    out.push(...STUB.map((s) => indent + s));
    i = r.end + 1;
  }
  out.push(...lines.slice(i));
  return out.join('\n');
}

/** Removes hidden-test regions (markers included). */
export function stripHidden(source: string): string {
  const lines = source.split('\n');
  const found = regions(lines, MARKERS.beginHidden, MARKERS.endHidden, 0, []);
  const out: string[] = [];
  let i = 0;
  for (const r of found) {
    out.push(...lines.slice(i, r.begin));
    i = r.end + 1;
  }
  out.push(...lines.slice(i));
  return out.join('\n');
}

/**
 * The student version of a source notebook: solutions replaced by a stub, visible tests kept, hidden tests
 * removed, outputs cleared, every graded or locked cell tagged with its grade_id, locked cells checksummed
 * and marked non-editable. Throws NotebookFormatError when the source has authoring problems.
 *
 * @example
 * const student = release(parseNotebook(text));
 */
export function release(nb: Notebook): Notebook {
  const { cells, problems } = analyzeSource(nb);
  if (problems.length) throw new NotebookFormatError(problems);
  const out: NotebookCell[] = cells.map((g) => {
    const orig = nb.cells[g.index];
    const metadata: Record<string, any> = { ...orig.metadata };
    let source = g.source;
    if (g.kind === 'solution') source = stripSolution(source);
    if (g.kind === 'tests') source = stripHidden(source);
    if (g.kind === 'locked' || g.kind === 'tests') {
      metadata.nbgrader = { ...(orig.metadata.nbgrader ?? {}), grade_id: g.gradeId, locked: true, checksum: cellChecksum('code', source) };
      metadata.editable = false;
      metadata.deletable = false;
    } else if (g.kind === 'solution') {
      metadata.nbgrader = { ...orig.metadata.nbgrader, grade_id: g.gradeId };
    }
    const cell: NotebookCell = { cell_type: orig.cell_type, metadata, source: toSourceLines(source) };
    if (orig.id) cell.id = orig.id;
    if (orig.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
    return cell;
  });
  return { ...nb, cells: out };
}

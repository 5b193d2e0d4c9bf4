/** Builds small nbformat-4 tslab notebooks for grader tests. */
import * as fs from 'fs';
import * as path from 'path';
import type { SubmissionResult } from '../../src/grader/output/result';
export interface CellSpec {
  type?: 'code' | 'markdown';
  source: string;
  nbgrader?: { grade_id: string; grade?: boolean; solution?: boolean; locked?: boolean; points?: number };
}

/** A tslab notebook object from cell specs. */
export function notebook(cells: CellSpec[]): any {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: cells.map((c, i) => ({
      cell_type: c.type ?? 'code',
      id: `c${i}`,
      metadata: c.nbgrader ? { nbgrader: { grade: false, solution: false, locked: false, ...c.nbgrader } } : {},
      source: c.source.split('\n').map((l, j, a) => (j < a.length - 1 ? `${l}\n` : l)),
      ...(c.type === 'markdown' ? {} : { outputs: [], execution_count: null }),
    })),
  };
}

/** The mini assignment used by the grader tests: two functions, visible and hidden tests, 5 points. */
export const MINI: CellSpec[] = [
  { type: 'markdown', source: '# Mini lab\nImplement `clamp` and `mean`.' },
  { source: "import { check, expect } from 'optilab';", nbgrader: { grade_id: 'setup', locked: true } },
  {
    source: ['function clamp(x: number, lo: number, hi: number): number {', '  // BEGIN SOLUTION', '  return Math.min(hi, Math.max(lo, x));', '  // END SOLUTION', '}'].join('\n'),
    nbgrader: { grade_id: 'clamp', solution: true },
  },
  {
    source: [
      "check('a value inside the range is kept', 1, () => expect.equal(clamp(0.5, 0, 1), 0.5, 'clamp(0.5, 0, 1)'));",
      '// BEGIN HIDDEN TESTS',
      "check('values outside are clamped', 1, () => { expect.equal(clamp(-2, 0, 1), 0, 'clamp(-2, 0, 1)'); expect.equal(clamp(3, 0, 1), 1, 'clamp(3, 0, 1)'); });",
      '// END HIDDEN TESTS',
    ].join('\n'),
    nbgrader: { grade_id: 'test_clamp', grade: true, locked: true, points: 2 },
  },
  {
    source: ['function mean(xs: number[]): number {', '  // BEGIN SOLUTION', '  let s = 0;', '  for (const x of xs) s += x;', '  return s / xs.length;', '  // END SOLUTION', '}'].join('\n'),
    nbgrader: { grade_id: 'mean', solution: true },
  },
  {
    source: [
      "check('mean of [1, 2, 3]', 1, () => expect.close(mean([1, 2, 3]), 2));",
      '// BEGIN HIDDEN TESTS',
      "check('means of several arrays (partial credit)', 2, () => {",
      '  const cases: [number[], number][] = [[[4], 4], [[-1, 1], 0], [[0.5, 0.25, 0.75, 0.5], 0.5], [[10, 20], 15]];',
      '  let ok = 0;',
      '  for (const [xs, want] of cases) if (Math.abs(mean(xs) - want) < 1e-9) ok++;',
      '  return ok / cases.length;',
      '});',
      '// END HIDDEN TESTS',
    ].join('\n'),
    nbgrader: { grade_id: 'test_mean', grade: true, locked: true, points: 3 },
  },
];

/** The results/<student>.json records of a grading output folder, by student. */
export function readResults(out: string): Map<string, SubmissionResult> {
  const m = new Map<string, SubmissionResult>();
  for (const f of fs.readdirSync(path.join(out, 'results'))) {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results', f), 'utf8')) as SubmissionResult;
    m.set(r.student, r);
  }
  return m;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, cellChecksum, cellSource, NotebookFormatError, parseNotebook, release, stripSolution, STUB } from '../../../src/grader/assignment/format';
import { planSubmission } from '../../../src/grader/assignment/plan';
import { MINI, notebook, CellSpec } from '../notebooks';

const problemsOf = (cells: CellSpec[]) => analyzeSource(notebook(cells)).problems.map((p) => p.message).join('\n');

test('the mini source has no authoring problems and the expected cell kinds', () => {
  const { cells, problems } = analyzeSource(notebook(MINI));
  assert.deepEqual(problems, []);
  assert.deepEqual(cells.map((c) => c.kind), ['markdown', 'locked', 'solution', 'tests', 'solution', 'tests']);
  assert.deepEqual(cells.filter((c) => c.kind === 'tests').map((c) => c.points), [2, 3]);
});

test('authoring mistakes are reported', () => {
  const dup = MINI.map((c) => (c.nbgrader?.grade_id === 'mean' ? { ...c, nbgrader: { ...c.nbgrader, grade_id: 'clamp' } } : c));
  assert.match(problemsOf(dup), /duplicate grade_id 'clamp'/);
  const noPoints = MINI.map((c) => (c.nbgrader?.grade_id === 'test_mean' ? { ...c, nbgrader: { ...c.nbgrader, points: 0 } } : c));
  assert.match(problemsOf(noPoints), /'test_mean' has no points/);
  const unbalanced = MINI.map((c) => (c.nbgrader?.grade_id === 'clamp' ? { ...c, source: c.source.replace('  // END SOLUTION\n', '') } : c));
  assert.match(problemsOf(unbalanced), /never closed/);
  const hiddenInSolution = MINI.map((c) => (c.nbgrader?.grade_id === 'mean' ? { ...c, source: `// BEGIN HIDDEN TESTS\n${c.source}\n// END HIDDEN TESTS` } : c));
  assert.match(problemsOf(hiddenInSolution), /hidden-test markers in a solution cell/);
  const noCheck = MINI.map((c) => (c.nbgrader?.grade_id === 'test_clamp' ? { ...c, source: 'console.log(clamp(1, 0, 2))' } : c));
  assert.match(problemsOf(noCheck), /calls no check/);
  const importInTests = MINI.map((c) => (c.nbgrader?.grade_id === 'test_clamp' ? { ...c, source: `import * as x from 'optilab';\n${c.source}` } : c));
  assert.match(problemsOf(importInTests), /import statement/);
  const noId = MINI.map((c) => (c.nbgrader?.grade_id === 'mean' ? { ...c, nbgrader: { ...c.nbgrader, grade_id: '' } } : c));
  assert.match(problemsOf(noId), /without a grade_id/);
  assert.match(problemsOf(MINI.filter((c) => !c.nbgrader?.grade)), /no tests cell/);
});

test('parseNotebook rejects invalid JSON, other nbformats and other kernels with the fix', () => {
  assert.throws(() => parseNotebook('{not json', 'x.ipynb'), (e: unknown) => e instanceof NotebookFormatError && /not valid JSON/.test(e.message));
  const nb = notebook(MINI);
  assert.throws(() => parseNotebook(JSON.stringify({ ...nb, nbformat: 3 })), /nbformat 3, expected nbformat 4/);
  assert.throws(() => parseNotebook(JSON.stringify({ ...nb, metadata: { kernelspec: { name: 'python3' } } })), /kernel 'python3', expected 'tslab'/);
  assert.equal(parseNotebook(JSON.stringify(nb)).cells.length, MINI.length);
});

test('release stubs solutions, drops hidden tests, checksums locked cells and clears outputs', () => {
  const src = notebook(MINI);
  src.cells[2].outputs = [{ output_type: 'stream', name: 'stdout', text: 'secret' }];
  const student = release(src);
  const text = JSON.stringify(student);
  assert.doesNotMatch(text, /Math\.min\(hi/, 'solution code removed');
  assert.doesNotMatch(text, /HIDDEN|values outside are clamped|several arrays/, 'hidden tests removed');
  assert.doesNotMatch(text, /secret/);
  assert.match(cellSource(student.cells[2]), /YOUR CODE HERE/);
  assert.match(cellSource(student.cells[3]), /a value inside the range is kept/, 'visible test kept');
  for (const i of [1, 3, 5]) {
    const c = student.cells[i];
    assert.equal(c.metadata.nbgrader.locked, true);
    assert.equal(c.metadata.editable, false);
    assert.equal(c.metadata.nbgrader.checksum, cellChecksum('code', cellSource(c)));
  }
});

test('stripSolution keeps indentation and replaces a marker-less cell entirely', () => {
  assert.equal(stripSolution('f() {\n    // BEGIN SOLUTION\n    x\n    // END SOLUTION\n}'), `f() {\n    ${STUB[0]}\n    ${STUB[1]}\n}`);
  assert.equal(stripSolution('const a = 1;'), STUB.join('\n'));
});

test('planSubmission takes answers from the submission and everything else from the source', () => {
  const src = notebook(MINI);
  const cells = analyzeSource(src).cells;
  const sub = release(src);
  // the student answers clamp, tampers with a tests cell, deletes the mean tests, adds a helper cell
  sub.cells[2].source = 'function clamp(x: number, lo: number, hi: number) { return x; }';
  sub.cells[3].source = "check('mine', 100, () => {});";
  sub.cells.splice(5, 1);
  sub.cells.splice(3, 0, { cell_type: 'code', metadata: {}, source: 'const helper = 1;', outputs: [] });
  const { plan, notes } = planSubmission(cells, sub);
  assert.deepEqual(plan.map((p) => p.kind), ['locked', 'student', 'student', 'tests', 'student', 'tests']);
  assert.match(plan[1].source, /return x;/);
  assert.equal(plan[2].source, 'const helper = 1;');
  assert.match(plan[3].source, /values outside are clamped/, 'hidden tests from the source');
  assert.doesNotMatch(plan.map((p) => p.source).join('\n'), /mine/);
  assert.equal(plan[5].points, 3);
  assert.ok(notes.some((n) => /'test_clamp' was modified/.test(n)));
  assert.ok(notes.some((n) => /'test_mean' was deleted/.test(n)));
});

test('a missing answer cell runs as the stub and is reported', () => {
  const src = notebook(MINI);
  const sub = release(src);
  sub.cells = sub.cells.filter((c: any) => c.metadata.nbgrader?.grade_id !== 'mean');
  const { plan, notes } = planSubmission(analyzeSource(src).cells, sub);
  assert.match(plan.find((p) => p.gradeId === 'mean')!.source, /not implemented yet/);
  assert.ok(notes.some((n) => /'mean' is missing/.test(n)));
});

/**
 * The notebook runner's pieces that need no browser: a cell compiled by transform.ts maps positions of its
 * body back to the cell's TypeScript (types erased, declarations rewritten, functions hoisted), so an error
 * raised at run time names the line of the cell; compile errors carry line and column; error texts name
 * cell and line; byte labels never read "0.0 MB".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CellCompileError, compileCell, decodeMappings } from '../../site/src/components/runner/transform';
import { errorText } from '../../site/src/components/runner/cell-error';
import { formatBytes } from '../../site/src/components/runner/bytes';

const AsyncFunction = (async () => undefined).constructor as new (...a: string[]) => (imp: unknown) => Promise<unknown>;

/** Runs a compiled cell as the worker does and returns the cell lines of the error's frames (innermost first). */
async function throwingLines(source: string): Promise<number[]> {
  const c = compileCell(source);
  try {
    await new AsyncFunction('__import', `${c.body}\n//# sourceURL=optilab-run-7.js`)(null);
  } catch (e) {
    const header = 2; // V8: `async function anonymous(__import\n) {\n`
    return [...String((e as Error).stack).matchAll(/optilab-run-7\.js:(\d+):(\d+)/g)].map((m) => c.sourceOf(Number(m[1]) - header, Number(m[2]))!.line);
  }
  assert.fail('the cell did not throw');
}

test('source map decoding: VLQ fields accumulate across segments and lines', () => {
  // 'AAAA' = [0,0,0,0]; 'IAAE' = [4,0,0,2]; ';' next line; 'AACA' = [0,0,1,0]. Only the generated column
  // restarts on a new line: the original column goes on from 2.
  assert.deepEqual(decodeMappings('AAAA,IAAE;AACA'), [[[0, 0, 0], [4, 0, 2]], [[0, 1, 2]]]);
  // 'gBAAgB' = [16,0,0,16] (two-digit VLQ).
  assert.deepEqual(decodeMappings('gBAAgB'), [[[16, 0, 16]]]);
});

test('a runtime error maps to the line of the cell that threw, past erased types and hoisted functions', async () => {
  const cell = [
    'interface Point { x: number }', //             1: erased
    'type Name = string;', //                         2: erased
    'const p: Point = { x: 1 };', //                  3
    'const label: Name = `p.x = ${p.x}`;', //         4
    'function inner(v: Point): number {', //          5 (hoisted to the top of the body)
    '  const w = v as unknown as { y: { z: number } };', // 6
    '  return w.y.z;', //                             7: throws (w.y is undefined)
    '}', //                                           8
    'console.log(label);', //                         9
    'inner(p)', //                                   10: the call
  ].join('\n');
  assert.deepEqual(await throwingLines(cell), [7, 10]);
  // A multi-line destructuring declaration: the error is on the initializer's second line.
  assert.deepEqual(await throwingLines('const { a, b }: { a: number; b: number } = { a: 1,\n  b: (null as unknown as { q: number }).q };'), [2]);
  // An error after an await, in the last expression.
  assert.deepEqual(await throwingLines("await Promise.resolve();\nconst n = 3;\nJSON.parse('{' + n)"), [3]);
});

test('a TypeScript compile error carries its line and column in the cell', () => {
  assert.throws(() => compileCell('const ok = 1;\nlet x: = 3;'), (e: unknown) => e instanceof CellCompileError && e.line === 2 && e.column === 8);
  assert.throws(() => compileCell('const a = [1, 2;\n'), (e: unknown) => e instanceof CellCompileError && e.line === 1 && e.column === 16);
});

test('error texts name the function, the cell and the line of each frame', () => {
  assert.equal(
    errorText({ name: 'TypeError', message: "Cannot read properties of undefined (reading 'z')", frames: [{ fn: 'inner', cell: 3, line: 7, column: 14 }, { cell: 5, line: 10, column: 1 }] }),
    "TypeError: Cannot read properties of undefined (reading 'z')\n    at inner (cell 3, line 7)\n    at cell 5, line 10",
  );
  // An arrow callback and its caller on the same line appear once.
  assert.equal(
    errorText({ name: 'RangeError', message: 'too big', frames: [{ fn: 'check', cell: 4, line: 5, column: 3 }, { cell: 6, line: 4, column: 40 }, { cell: 6, line: 4, column: 22 }] }),
    'RangeError: too big\n    at check (cell 4, line 5)\n    at cell 6, line 4',
  );
  assert.equal(errorText({ name: 'CompileError', message: 'line 2, column 8: Type expected.', line: 2, column: 8 }), 'CompileError: line 2, column 8: Type expected.');
});

test('byte labels: B, KB, MB, never 0.0 MB for a small file', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(4542), '4.5 KB'); // t10k-labels-idx1-ubyte.gz
  assert.equal(formatBytes(28881), '29 KB'); // train-labels-idx1-ubyte.gz
  assert.equal(formatBytes(9912422), '9.9 MB'); // train-images-idx3-ubyte.gz
  assert.equal(formatBytes(Number.NaN), '? B');
});

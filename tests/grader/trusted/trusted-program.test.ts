// Compiling trusted cells for the tests runner (src/grader/trusted/trusted-program.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTrusted, declaredNames, splitTestsCell } from '../../../src/grader/trusted/trusted-program';

test('declared names: functions, classes, variables with destructuring, imports (not types)', () => {
  const src = "import * as ref from 'optilab';\nimport { check, expect as e } from 'optilab';\nimport type { X } from 'y';\ninterface I { a: number }\nfunction f() {}\nclass C {}\nconst { a, b: [c] } = { a: 1, b: [2] };\nlet d = 1;";
  assert.deepEqual(declaredNames(src), ['ref', 'check', 'e', 'f', 'C', 'a', 'c', 'd']);
});

test('the visible part is what students got; the hidden part switches regions on and off', () => {
  const { visible, hidden } = splitTestsCell("check('v', 1, f);\n// BEGIN HIDDEN TESTS\ncheck('h', 1, g);\n// END HIDDEN TESTS");
  assert.equal(visible, "check('v', 1, f);");
  assert.equal(hidden, "check('v', 1, f);\n__og_region(true);\ncheck('h', 1, g);\n__og_region(false);");
  assert.equal(splitTestsCell("check('v', 1, f);").hidden, null);
});

test('student names never shadow the grading API, trusted helpers or JavaScript globals', () => {
  const p = compileTrusted("check('x', 1, () => expect.equal(Math.abs(f(matmul(1))), 2));", ['matmul'], ['f', 'Math', 'check', 'expect', 'matmul', 'unused']);
  assert.match(p.js, /const check = __og\.check, expect = __og\.expect, ref = __og\.ref/);
  assert.match(p.js, /let \{ matmul \} = __og\.scope;/);
  assert.match(p.js, /let f = __og\.student\("f"\);/);
  assert.doesNotMatch(p.js, /__og\.student\("(Math|check|expect|matmul|unused)"\)/);
});

test('a locked cell keeps its declarations but cannot replace check or expect', () => {
  const p = compileTrusted("import * as ref from 'optilab';\nimport { check, expect } from 'optilab';\nfunction matmul(a: number): number { return a; }", [], []);
  assert.deepEqual(p.declares, ['ref', 'check', 'expect', 'matmul']);
  assert.match(p.js, /const ref = require\("optilab"\);/);
  assert.match(p.js, /__og\.keep\(\{ "matmul": typeof matmul === 'undefined' \? undefined : matmul \}\)/);
});

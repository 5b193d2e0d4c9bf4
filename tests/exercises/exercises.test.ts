import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { readerNamesIn } from '../../src/exercises/runner';
import {
  chapterExercises, getExercise, runCodeChecks, exerciseRef, checkNumeric, checkChoice, parseNumber,
  createTestApi, exerciseProblems, assertCatalog, loadProgress, recordAttempt, PROGRESS_KEY,
} from '../../src/exercises';
import type { CodeExercise, NumericExercise, ChoiceExercise } from '../../src/exercises';

const js = (src: string) => ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2020 } }).outputText;

function memoryStore() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

test('the chapter catalog: >= 12 exercises, all three kinds, unique ids', () => {
  assert.ok(chapterExercises.length >= 12, `only ${chapterExercises.length} exercises`);
  const kinds = new Set(chapterExercises.map((e) => e.kind));
  assert.deepEqual([...kinds].sort(), ['choice', 'code', 'numeric']);
  assert.equal(new Set(chapterExercises.map((e) => e.id)).size, chapterExercises.length);
});

for (const ex of chapterExercises.filter((e): e is CodeExercise => e.kind === 'code')) {
  test(`code exercise ${ex.id}: the solution passes every test for full points, the starter fails`, async () => {
    const good = await runCodeChecks(js(ex.solution), js(ex.tests), exerciseRef);
    assert.equal(good.correct, true, good.message);
    assert.equal(good.score, ex.points, 'the tests\' points must add up to the exercise points');
    const bad = await runCodeChecks(js(ex.starter), js(ex.tests), exerciseRef);
    assert.equal(bad.correct, false);
    assert.ok(bad.score < ex.points);
    assert.match(bad.message, /tests failed/);
  });
}

test('numeric exercises accept their answer and reject a wrong one with a hint', () => {
  for (const ex of chapterExercises.filter((e): e is NumericExercise => e.kind === 'numeric')) {
    assert.equal(checkNumeric(ex, String(ex.answer)).correct, true, ex.id);
    const wrong = checkNumeric(ex, ex.answer * 2 + 1);
    assert.equal(wrong.correct, false, ex.id);
    assert.match(wrong.message, /too large/);
  }
  const ex = getExercise('numerics-memory') as NumericExercise;
  assert.match(checkNumeric(ex, '400').message, /2 bytes per value, not 4/);
  assert.match(checkNumeric(ex, 'lots').message, /not a number/);
});

test('choice exercises accept the correct options and explain a wrong pick', () => {
  for (const ex of chapterExercises.filter((e): e is ChoiceExercise => e.kind === 'choice')) {
    const right = ex.options.filter((o) => o.correct).map((o) => o.id);
    assert.equal(checkChoice(ex, right).correct, true, ex.id);
    const wrongOpt = ex.options.find((o) => !o.correct)!;
    const r = checkChoice(ex, [wrongOpt.id]);
    assert.equal(r.correct, false);
    if (wrongOpt.feedback) assert.ok(r.message.includes(wrongOpt.feedback), r.message);
  }
  const multi = getExercise('quant-granularity') as ChoiceExercise;
  const partial = checkChoice(multi, ['a']);
  assert.equal(partial.correct, false);
  assert.ok(partial.score > 0 && partial.score < multi.points, `partial credit, got ${partial.score}`);
  assert.match(partial.message, /1 correct option is not picked yet/);
  assert.throws(() => checkChoice(multi, ['zz']), /unknown option id/);
});

test('parseNumber reads fractions, percentages and exponents', () => {
  assert.equal(parseNumber('3/4'), 0.75);
  assert.equal(parseNumber('12.5%'), 0.125);
  assert.equal(parseNumber('1e-3'), 0.001);
  assert.equal(parseNumber('24_576'), 24576);
  assert.ok(Number.isNaN(parseNumber('abc')));
});

test('test API: messages say what was expected, partial credit, thrown errors', async () => {
  const { api, run } = createTestApi();
  api.check('close', 1, () => api.assertClose(0.5, 0.25, 1e-3, 'f(1)'));
  api.check('array', 2, () => api.assertArrayClose([1, 2, 3], [1, 2.5, 3], 0.1, 'out'));
  api.check('length', 1, () => api.assertArrayClose([1], [1, 2], 0, 'out'));
  api.check('half', 4, () => 0.5);
  api.check('throws', 1, () => { throw new TypeError('x.map is not a function'); });
  api.check('ok', 1, () => api.assertEqual({ a: [1, 2] }, { a: [1, 2] }));
  const r = await run();
  assert.match(r[0].message, /f\(1\): expected 0.25 \(within 0.001\), got 0.5/);
  assert.match(r[1].message, /1 of 3 entries differ; first at index 1: expected 2.5, got 2/);
  assert.match(r[2].message, /expected length 2, got length 1/);
  assert.equal(r[3].earned, 2);
  assert.equal(r[3].passed, false);
  assert.equal(r[4].message, 'TypeError: x.map is not a function');
  assert.equal(r[5].passed, true);
  assert.throws(() => api.check('bad', -1, () => 0), /points >= 0/);
});

test('runCodeChecks reports syntax errors and code that throws before the tests', async () => {
  const syntax = await runCodeChecks('function f( {', "check('t', 1, () => {});");
  assert.equal(syntax.correct, false);
  assert.match(syntax.message, /does not parse/);
  const early = await runCodeChecks('undefinedThing();', "check('t', 1, () => {});");
  assert.match(early.message, /threw an error before the tests could run: ReferenceError/);
  const none = await runCodeChecks('const x = 1;', '');
  assert.match(none.message, /did not call check/);
});

test('validation lists every problem of a broken definition', () => {
  assert.deepEqual(exerciseProblems(getExercise('quant-scale')), []);
  const p = exerciseProblems({ kind: 'choice', id: 'Bad Id', title: '', prompt: 'p', points: 0, explanation: 'e', options: [{ id: 'a', text: 'A', correct: false }] });
  assert.ok(p.some((s) => s.includes('id must be')));
  assert.ok(p.some((s) => s.includes('title must be')));
  assert.ok(p.some((s) => s.includes('points must be')));
  assert.ok(p.some((s) => s.includes('at least 2 choices')));
  assert.match(exerciseProblems({ kind: 'essay' }).join(), /kind must be/);
  const code = { ...getExercise('prune-magnitude'), tests: 'assertEqual(1, 1);' };
  assert.match(exerciseProblems(code).join(), /must call check/);
  assert.throws(() => assertCatalog([getExercise('quant-scale'), getExercise('quant-scale')]), /used twice/);
  assert.throws(() => getExercise('nope'), /Known ids/);
});

test('progress: best score kept, solved sticks, unreadable storage resets', () => {
  const s = memoryStore();
  recordAttempt(s, 'quant-scale', { correct: false, score: 0, points: 1 }, '0.5');
  recordAttempt(s, 'quant-scale', { correct: true, score: 1, points: 1 }, '0.0235');
  const p = recordAttempt(s, 'quant-scale', { correct: false, score: 0, points: 1 }, '9');
  assert.deepEqual(p, { solved: true, best: 1, points: 1, attempts: 3, answer: '9' });
  assert.equal(loadProgress(s)['quant-scale'].attempts, 3);
  s.setItem(PROGRESS_KEY, '{not json');
  assert.deepEqual(loadProgress(s), {});
});

test('the reader cannot reach the tests: redefined API names, a test that returns a value, and shadowed globals', async () => {
  const tests = "check('doubles', 1, () => assertEqual(double(3), 6, 'double(3)'));\ncheck('doubles negatives', 1, () => assertArrayClose([double(-1)], [-2], 0, 'double(-1)'));";
  const wrong = 'function double(x) { return x; }';
  const honest = await runCodeChecks(wrong, tests);
  assert.equal(honest.score, 0);
  // once, these shared the tests' scope and every check passed
  for (const attack of [
    'var assertEqual = () => {}; var assertArrayClose = () => {};',
    'var check = (n, p, f) => {};',
    'var Math = { abs: () => 0 }; var Object = { is: () => true };',
  ]) {
    const r = await runCodeChecks(`${wrong}\n${attack}`, tests);
    assert.equal(r.score, 0, `${attack}: ${r.message}`);
    assert.equal(r.correct, false);
  }
  // assigning an undeclared API name in strict code is an error of the reader's code, before any test
  assert.match((await runCodeChecks(`${wrong}\nassertEqual = () => {};`, tests)).message, /threw an error before the tests could run: ReferenceError/);
  // scored like the grader: nothing or a fraction in [0, 1]; anything else earns nothing
  const returns = await runCodeChecks('', "check('truthy', 1, () => 'yes');\ncheck('true', 1, () => true);\ncheck('half', 2, () => 0.5);");
  assert.deepEqual(returns.tests!.map((t) => t.earned), [0, 0, 1]);
  assert.match(returns.tests![0].message, /returned "yes" instead of nothing or a fraction/);
});

test('readerNamesIn takes the names tests use, not API, globals, properties, strings or comments', () => {
  assert.deepEqual(readerNamesIn("check('x y', 1, () => assertEqual(double(2).z, ref.q(4), Math.abs(-1) + 'word')); // later\n/* gone */ const k = half;"), ['double', 'k', 'half']);
});

test('lockIntrinsics: built-ins the assertions use cannot be replaced by the reader (in a fresh process)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'og-lock-')), 'lock.ts');
  fs.writeFileSync(file, `
    import { lockIntrinsics, runCodeChecks } from ${JSON.stringify(path.join(ROOT, 'src', 'exercises', 'runner'))};
    lockIntrinsics();
    (async () => {
      const tests = "check('close', 1, () => assertClose(f(), 1, 1e-9, 'f()'));\\ncheck('same', 1, () => assertEqual([f()], [1]));";
      const r = await runCodeChecks("function f() { return 5; }\\ntry { Math.abs = () => 0; } catch (e) { }\\ntry { Object.is = () => true; } catch (e) { }\\ntry { Array.prototype.every = () => true; } catch (e) { }", tests);
      const good = await runCodeChecks("function f() { return 1; }", tests);
      console.log(JSON.stringify([r.score, good.score, Math.abs(-2)]));
    })();`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  assert.equal(r.stdout.trim(), '[0,2,2]', r.stderr);
});

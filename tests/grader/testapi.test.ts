import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, expect, runCheck } from '../../src/grader/testapi';

async function quiet<T>(f: () => Promise<T>): Promise<{ value: T; printed: string }> {
  const log = console.log;
  let printed = '';
  console.log = (...a: unknown[]) => {
    printed += `${a.join(' ')}\n`;
  };
  try {
    return { value: await f(), printed };
  } finally {
    console.log = log;
  }
}

test('check gives full, partial and no credit and prints a line for each', async () => {
  const full = await quiet(() => runCheck('passes', 2, () => undefined));
  assert.deepEqual(full.value, { name: 'passes', points: 2, earned: 2, message: '' });
  assert.match(full.printed, /✔ passes: 2\/2 points/);
  const part = await quiet(() => runCheck('half', 2, () => 0.5));
  assert.equal(part.value.earned, 1);
  assert.match(part.printed, /◐ half: 1\/2 points — partial credit: 50%/);
  const fail = await quiet(() => runCheck('fails', 1, () => expect.equal(1 + 1, 3, 'the sum')));
  assert.equal(fail.value.earned, 0);
  assert.match(fail.printed, /✘ fails: 0\/1 point — CheckFailure: the sum is 2, expected 3/);
  const asyncFail = await quiet(() => runCheck('async', 1, async () => { throw new Error('boom'); }));
  assert.equal(asyncFail.value.message, 'Error: boom');
  const weird = await quiet(() => runCheck('weird', 1, () => 'yes'));
  assert.equal(weird.value.earned, 0, 'a non-fraction return value earns nothing');
});

test('expect.close says where, by how much and how many entries differ', () => {
  expect.close([1, 2, 3], Float32Array.of(1, 2, 3.0000001));
  assert.throws(() => expect.close([1, 2, 5, 9], [1, 2, 3, 4], { what: 'q' }), /q differs at index 2: got 5, expected 3 \(2 of 4 entries wrong, largest error 5\)/);
  assert.throws(() => expect.close([1, 2], [1, 2, 3]), /has length 2, expected 3/);
  assert.throws(() => expect.close('x', [1]), /should be a number or an array of numbers/);
  assert.throws(() => expect.close(['1'], [1]), /value\[0\] is "1", not a number/);
});

test('expect rejects NaN unless asked, and refuses tolerances that would accept anything', () => {
  assert.throws(() => expect.close(NaN, 1), /got NaN, expected 1.*nan: true/);
  assert.throws(() => expect.close(NaN, NaN), /NaN is never close/);
  expect.close([1, NaN], [1, NaN], { nan: true });
  assert.throws(() => expect.close([NaN], [2], { nan: true }), /differs/);
  assert.throws(() => expect.close(5, 1, { atol: Infinity }), /tolerance atol must be a finite number >= 0, got Infinity/);
  assert.throws(() => expect.close(5, 1, { rtol: NaN }), /tolerance rtol must be a finite number >= 0/);
  assert.throws(() => expect.close(5, 1, { atol: -1 }), /tolerance atol/);
  expect.close(Infinity, Infinity);
  assert.throws(() => expect.close(Infinity, 1e308), /differs/);
  assert.throws(() => expect.close(-Infinity, Infinity), /differs/);
  assert.throws(() => expect.equal(NaN, NaN, 'x'), /x is NaN, expected NaN/);
  assert.throws(() => expect.equal([NaN], [NaN], 'q'), /q differs at index 0/);
  assert.throws(() => expect.close(1e308, Infinity), /differs/);
});

test('expect.equal, ok and throws', () => {
  expect.equal(Uint8Array.of(1, 0), [1, 0]);
  assert.throws(() => expect.equal([1, 0], [1, 1], 'mask'), /mask differs at index 1: got 0, expected 1/);
  assert.throws(() => expect.ok(1, 'needs true'), /needs true/);
  expect.throws(() => { throw new RangeError('bad bits'); }, 'bad bits');
  assert.throws(() => expect.throws(() => undefined), /expected an error/);
});

test('check prints without returning a promise (nothing pending is displayed in a notebook)', async () => {
  const r = await quiet(async () => {
    const v = check('sync', 1, () => undefined);
    await new Promise((res) => setTimeout(res, 10));
    return v;
  });
  assert.equal(r.value, undefined);
  assert.match(r.printed, /✔ sync: 1\/1 point/);
});

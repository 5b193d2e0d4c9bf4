// The value format between the student's kernel and the trusted tests runner (src/grader/wire.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const wire = require('../../src/grader/wire.js');

const roundTrip = (v: unknown) => wire.decode(JSON.parse(JSON.stringify(wire.encode(v))));

test('plain data crosses unchanged: numbers incl. NaN, infinities and -0, typed arrays, objects, Maps, Sets', () => {
  const v = { a: [1, NaN, -0, Infinity, -Infinity], q: Int32Array.of(-3, 7), f: Float32Array.of(0.5, 1.25), s: 'x', n: null, u: undefined, b: 10n, m: new Map([[1, 'one']]), t: new Set([2]), d: new Date(5) };
  const back = roundTrip(v);
  assert.deepEqual(back, v);
  assert.ok(Object.is(back.a[2], -0));
  assert.ok(back.q instanceof Int32Array && back.f instanceof Float32Array);
});

test('a key named __proto__ stays an own property, never a prototype', () => {
  const tree = { $: 'obj', v: { __proto__: { $: 'obj', v: { polluted: true } } } };
  const back = wire.decode(JSON.parse(JSON.stringify(tree).replace('"v":{"__proto__"', '"v":{"__proto__"')));
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.equal(({} as any).polluted, undefined);
});

test('functions, symbols, cycles, class instances and deep nesting are refused with where they are', () => {
  assert.throws(() => wire.encode({ f: () => 1 }), /the value\.f is a function/);
  const cyc: any = { a: 1 };
  cyc.self = cyc;
  assert.throws(() => wire.encode(cyc), /refers back to itself/);
  class P { x = 1; }
  assert.throws(() => wire.encode([new P()]), /the value\[0\] is a P instance/);
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => wire.encode(deep), /nested deeper than 64/);
});

test('malformed answers are WireErrors, never crashes or odd values', () => {
  for (const bad of [{ $: 'num', v: 'x' }, { $: 'ta', t: 'Function', b: '' }, { $: 'ta', t: 'Float32Array', b: 'AAA=' }, { $: 'nope' }, { x: 1 }, { $: 'big', v: '1e5' }, { $: 'obj', v: [1] }]) {
    assert.throws(() => wire.decode(bad), (e: Error) => e.name === 'WireError', JSON.stringify(bad));
  }
  assert.throws(() => wire.parseLine('{"a":'), /not readable/);
  assert.throws(() => wire.parseLine('['.repeat(200000)), (e: Error) => e.name === 'WireError');
});

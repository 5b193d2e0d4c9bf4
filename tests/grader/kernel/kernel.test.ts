// Messages from a grading kernel (src/grader/kernel/kernel.ts): the kernel runs student code and holds the signing
// key, so a signed message can still be hostile. parseKernelFrames keeps only well-formed ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'crypto';
import { CellOutputs, MESSAGE_LIMITS, parseKernelFrames } from '../../../src/grader/kernel/kernel';

const KEY = 'k'.repeat(64);

/** Frames of a message signed with `key`, its four parts given as JSON text. */
function frames(parts: string[], key = KEY): Buffer[] {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return [Buffer.from('<IDS|MSG>'), Buffer.from(h.digest('hex')), ...parts.map((p) => Buffer.from(p))];
}

const header = JSON.stringify({ msg_id: 'a', msg_type: 'stream' });
const parent = JSON.stringify({ msg_id: 'p' });

test('a signed, well-formed message is parsed', () => {
  const m = parseKernelFrames(frames([header, parent, '{}', '{"name":"stdout","text":"hi"}']), KEY);
  assert.equal(m?.header.msg_type, 'stream');
  assert.equal(m?.parent_header.msg_id, 'p');
  assert.equal(m?.content.text, 'hi');
  // a message with no parent (e.g. the kernel's first status) has an empty parent header
  assert.ok(parseKernelFrames(frames([header, '{}', '{}', '{}']), KEY));
});

test('signed but malformed messages are dropped, never thrown', () => {
  for (const bad of [
    [header, 'null', '{}', '{}'], // null parent header once ended the grader's read loop
    [header, '{"msg_id": 7}', '{}', '{}'],
    [header, parent, '{}', 'null'],
    [header, parent, '[]', '{}'],
    ['{"msg_id":"a"}', parent, '{}', '{}'],
    ['"stream"', parent, '{}', '{}'],
    [header, parent, '{}', '{"a":'],
  ]) {
    assert.equal(parseKernelFrames(frames(bad), KEY), null, bad.join(' '));
  }
});

test('wrong signatures, missing frames and too many frames are dropped', () => {
  assert.equal(parseKernelFrames(frames([header, parent, '{}', '{}'], 'other'), KEY), null);
  assert.equal(parseKernelFrames(frames([header, parent, '{}']), KEY), null);
  assert.equal(parseKernelFrames([Buffer.from('no delimiter')], KEY), null);
  const many = [...Array(MESSAGE_LIMITS.MAX_FRAMES).fill(Buffer.from('id')), ...frames([header, parent, '{}', '{}'])];
  assert.equal(parseKernelFrames(many, KEY), null);
});

test('a cell keeps its outputs within the budget and reports when it printed more', () => {
  const out = new CellOutputs(100);
  assert.equal(out.add('status', { execution_state: 'busy' }), true, 'status messages are not outputs');
  assert.equal(out.add('stream', { name: 'stdout', text: 'hi' }), true);
  assert.equal(out.add('stream', { name: 'stderr', text: 'warn' }), true);
  assert.deepEqual(out.outputs, [
    { output_type: 'stream', name: 'stdout', text: 'hi' },
    { output_type: 'stream', name: 'stderr', text: 'warn' },
  ]);
  assert.equal(out.stderr, 'warn');
  const big = { name: 'stdout', text: 'x'.repeat(100) };
  assert.equal(out.add('stream', big), false, 'over the budget: the kernel is to be stopped');
  assert.equal(out.outputs.length, 2, 'the output past the budget is dropped');
  assert.equal(out.chars, JSON.stringify({ name: 'stdout', text: 'hi' }).length + JSON.stringify({ name: 'stderr', text: 'warn' }).length + JSON.stringify(big).length);
});

test('an output that exactly fills the budget is kept', () => {
  const content = { data: { 'text/plain': '1' } };
  const out = new CellOutputs(JSON.stringify(content).length);
  assert.equal(out.add('execute_result', content), true);
  assert.equal(out.outputs.length, 1);
});

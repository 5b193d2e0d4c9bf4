import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charVocabulary, textCorpus } from '../../src/data/text-corpus';

test('charVocabulary: sorted distinct characters, encode/decode round trip, clear errors', () => {
  const v = charVocabulary({ text: 'hello world' });
  assert.equal(v.chars, ' dehlorw');
  assert.equal(v.size, 8);
  assert.deepEqual(Array.from(v.encode('hello')), [3, 2, 4, 4, 5]);
  assert.equal(v.decode(v.encode('world hello')), 'world hello');
  assert.throws(() => v.encode('help'), /character "p" at position 3 is not in the vocabulary/);
  assert.throws(() => v.decode([8]), /token 8 at position 0/);
  assert.throws(() => charVocabulary({ chars: 'aba' }), /listed twice/);
  assert.throws(() => charVocabulary({ text: '' }), /no characters/);
  const fixed = charVocabulary({ chars: '\nba' });
  assert.deepEqual(Array.from(fixed.encode('ab\n')), [2, 1, 0]);
});

test('textCorpus: both splits encoded with one vocabulary', () => {
  const c = textCorpus('toy', 'the cat sat\n', 'the hat\n');
  assert.equal(c.train.length, 12);
  assert.equal(c.vocabulary.decode(c.validation), 'the hat\n');
  assert.ok(c.vocabulary.chars.includes('h') && c.vocabulary.chars.includes('c'));
});

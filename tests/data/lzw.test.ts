// LZW (.Z, Unix compress) is used to read Debian's bible-kjv-text data file (src/data/kjv.ts): each 64 KB window
// of /usr/lib/bible.data is a raw LZW stream. gzip -d, which reads .Z files, is the independent reference here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { lzwCompress, lzwDecompress, LzwError, LZW_MAGIC } from '../../src/data/lzw';
import { mulberry32 } from '../../src/util/random';

const enc = new TextEncoder();

function inputs(): [string, Uint8Array][] {
  const r = mulberry32(4);
  const words = ['the ', 'LORD ', 'and ', 'said ', 'unto ', 'Moses ', 'of ', 'Israel, ', 'children ', '\n'];
  let text = '';
  while (text.length < 300_000) text += words[Math.floor(r() * words.length)];
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(65)],
    ['KwKwK run', enc.encode('a'.repeat(1000))],
    ['all byte values', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256)],
    ['random bytes', Uint8Array.from({ length: 50_000 }, () => Math.floor(r() * 256))],
    ['text (fills the dictionary, clears)', enc.encode(text)],
  ];
}

test('round trip: decompress(compress(x)) === x for every width, with and without header and block mode', () => {
  for (const [name, x] of inputs()) {
    for (const maxBits of [10, 12, 16]) {
      for (const header of [true, false]) {
        for (const blockMode of [true, false]) {
          const z = lzwCompress(x, { maxBits, header, blockMode });
          const back = lzwDecompress(z, header ? {} : { maxBits, header, blockMode });
          assert.deepEqual(back, x, `${name}, maxBits ${maxBits}, header ${header}, block ${blockMode}`);
        }
      }
    }
  }
  const z = lzwCompress(enc.encode('x'));
  assert.deepEqual([z[0], z[1], z[2]], [LZW_MAGIC[0], LZW_MAGIC[1], 16 | 0x80]);
});

test('gzip -d reads our streams byte for byte (every width, dictionary clears included)', (t) => {
  if (spawnSync('gzip', ['--version']).status !== 0) {
    t.skip('gzip is not installed');
    return;
  }
  for (const [name, x] of inputs()) {
    for (const maxBits of [10, 13, 16]) {
      const z = lzwCompress(x, { maxBits });
      const r = spawnSync('gzip', ['-dc'], { input: z, maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, `gzip -d rejects ${name} at ${maxBits} bits: ${r.stderr}`);
      assert.deepEqual(new Uint8Array(r.stdout), x, `${name} at ${maxBits} bits`);
    }
  }
});

test('a compressible text shrinks; corrupt streams raise LzwError', () => {
  const text = inputs()[5][1];
  assert.ok(lzwCompress(text).length < text.length / 3);
  assert.throws(() => lzwDecompress(Uint8Array.of(1, 2, 3, 4)), LzwError);
  assert.throws(() => lzwDecompress(Uint8Array.of(0x1f, 0x9d, 0x90, 0xff, 0xff, 0xff, 0xff)), /past the dictionary/);
  assert.throws(() => lzwCompress(text, { maxBits: 9 }), /maxBits/);
});

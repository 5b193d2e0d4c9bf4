import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { DatasetError } from '../../src/data/idx';
import { loadKjv, parseKjv, kjvCorpus, readBrsDataFile, encodeBrsDataFile, KJV_CHARS, KJV_DATA_FILE, KJV_PACKAGE } from '../../src/data/kjv';

const SLICE = path.join(ROOT, 'datasets', 'kjv-slice', 'genesis-1-38.txt');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-kjv-'));

test('the committed slice: Genesis 1-38, every 10th chapter to validation, the fixed 63-character vocabulary', () => {
  const s = loadKjv({ path: SLICE });
  assert.deepEqual([s.books, s.chapters, s.verses, s.validationChapters], [1, 38, 1150, 3]);
  assert.equal(s.vocabulary.size, 63);
  assert.equal(s.vocabulary.chars, KJV_CHARS);
  assert.ok(s.trainText.startsWith('In the beginning God created the heaven and the earth.\nAnd the earth was without form'));
  // chapters 10, 20 and 30 are validation
  const verses = parseKjv(fs.readFileSync(SLICE, 'utf8'));
  const expected = verses.filter((v) => v.chapter % 10 === 0).map((v) => v.text + '\n').join('');
  assert.equal(s.validationText, expected);
  assert.ok(s.validationText.startsWith('Now these are the generations of the sons of Noah'));
  assert.equal(s.trainText.length + s.validationText.length, verses.reduce((a, v) => a + v.text.length + 1, 0));
  assert.equal(s.vocabulary.decode(s.train), s.trainText);
});

test('the split is deterministic: two loads give identical token arrays, and the split follows chapters only', () => {
  const a = loadKjv({ path: SLICE });
  const b = loadKjv({ path: SLICE });
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.validation, b.validation);
  const c = loadKjv({ path: SLICE, validationEvery: 5 });
  assert.equal(c.validationChapters, 7);
  assert.throws(() => loadKjv({ path: SLICE, validationEvery: 1 }), /validationEvery/);
});

test('parseKjv: reference removed, spaces collapsed, title skipped, a bad line named', () => {
  assert.deepEqual(parseKjv('Holy Bible\nGe1:1 In the  beginning\n\n1Sm2:3 Talk no more\n'), [
    { book: 'Ge', chapter: 1, verse: 1, text: 'In the beginning' },
    { book: '1Sm', chapter: 2, verse: 3, text: 'Talk no more' },
  ]);
  assert.throws(() => parseKjv('Ge1:1 ok\nnot a verse\n'), /line 2 is not a verse line/);
  const c = kjvCorpus(parseKjv('Ge1:1 a\nGe2:1 b\nGe2:2 c\nGe3:1 d\n'), 2);
  assert.deepEqual([c.trainText, c.validationText], ['a\nd\n', 'b\nc\n']);
});

test('the EC02 data file reader: round trip through several LZW windows; corrupt files are named', () => {
  const raw = fs.readFileSync(SLICE, 'latin1');
  const file = encodeBrsDataFile(raw, 4096);
  assert.equal(readBrsDataFile(file), raw);
  const p = path.join(tmp, 'bible.data');
  fs.writeFileSync(p, file);
  assert.deepEqual(loadKjv({ path: p }).train, loadKjv({ path: SLICE }).train);
  assert.throws(() => readBrsDataFile(file.subarray(0, file.length - 10), 'x.data'), /x\.data: is truncated/);
  const bad = file.slice();
  const view = new DataView(bad.buffer);
  view.setUint32(0x5c + 4, view.getUint32(0x5c)); // window 1 starts where window 0 does
  assert.throws(() => readBrsDataFile(bad, 'x.data'), /corrupt window index \(window 0/);
  const cut = file.slice();
  new DataView(cut.buffer).setUint32(0x54, 4000); // windows decompress to 4096 bytes, not the header's 4000
  assert.throws(() => readBrsDataFile(cut, 'x.data'), (e: unknown) => e instanceof DatasetError && /not the 4000 of its header/.test(e.message));
  assert.throws(() => readBrsDataFile(new TextEncoder().encode('plain text'), 'x.data'), /not a Bible Retrieval System data file/);
});

test('a missing corpus says which Debian package to install', () => {
  const missing = path.join(tmp, 'nope', 'bible.data');
  assert.throws(
    () => loadKjv({ path: missing }),
    (e: unknown) => e instanceof DatasetError && /does not exist/.test(e.message) && e.message.includes(`apt-get install ${KJV_PACKAGE}`) && e.message.includes('datasets/kjv-slice'),
  );
  assert.equal(KJV_PACKAGE, 'bible-kjv-text');
  const outside = path.join(tmp, 'greek.txt');
  fs.writeFileSync(outside, 'Ge1:1 In the beginning was the \u03bbogos\n');
  assert.throws(() => loadKjv({ path: outside }), /characters outside the KJV vocabulary/);
});

test(`the full KJV from Debian's ${KJV_PACKAGE} (${KJV_DATA_FILE}): 66 books, 1,189 chapters, 31,102 verses`, (t) => {
  if (!fs.existsSync(KJV_DATA_FILE)) {
    // CI must install the package (a line in scripts/setup.d/*.apt); elsewhere a missing package skips this test only
    if (process.env.CI) assert.fail(`CI needs Debian's ${KJV_PACKAGE} (${KJV_DATA_FILE}) for the full-corpus test`);
    t.skip(`${KJV_DATA_FILE} is missing (apt-get install ${KJV_PACKAGE})`);
    return;
  }
  const k = loadKjv();
  assert.deepEqual([k.books, k.chapters, k.verses, k.validationChapters], [66, 1189, 31102, 118]);
  assert.equal(k.vocabulary.size, 63);
  assert.ok(k.trainText.startsWith('In the beginning God created the heaven and the earth.\n'));
  assert.ok(k.trainText.endsWith('The grace of our Lord Jesus Christ be with you all. Amen.\n'));
  assert.equal(k.train.length + k.validation.length, 4_137_847);
  // the committed slice is the file's own text of Genesis 1-38
  const slice = loadKjv({ path: SLICE });
  assert.ok(k.trainText.startsWith(slice.trainText.slice(0, slice.trainText.indexOf('Now these are the generations of the sons of Noah'))));
});

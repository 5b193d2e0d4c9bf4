/**
 * The King James Version of the Bible (1611, public domain) as a character-level text corpus, read from
 * Debian's `bible-kjv-text` package. This module is the isomorphic part (decoding, parsing, splitting: the course
 * site's notebook runner parses the same file with it); reading the file is ./kjv.ts's loadKjv (Node).
 *
 * The package stores the text in the Bible Retrieval System's "EC02" file, /usr/lib/bible.data: Unix-compress
 * LZW (src/data/lzw.ts) restarted every 64 KB "window" so a reader can start at any window. Layout (big-endian):
 *
 * | bytes | what |
 * | --- | --- |
 * | 0..3 | `EC02` |
 * | 4..0x4f | a NUL-padded description ("Compressed Data File") |
 * | 0x54 | u32 window size (65536): every window but the last decompresses to this many bytes |
 * | 0x58 | u32 window count n |
 * | 0x5c | n + 1 u32 file offsets: window i is bytes offsets[i]..offsets[i+1], the last offset is the file size |
 * | offsets[0] - 3 | the `.Z` header of the first window (1f 9d, flags: block mode, max code width) |
 *
 * The text is one verse a line, `Ge1:1 In the beginning God created the heaven and the earth.` (book
 * abbreviation, chapter:verse, text), after one title line. Cleaned, each verse is a line of plain text (the
 * reference removed, runs of spaces made one); the 63 characters of the cleaned text are {@link KJV_CHARS}.
 * Validation is every 10th chapter (in Bible order), so both splits have the same books and styles in the
 * same proportions and no chapter is cut in two.
 */
import { DatasetError } from './idx';
import { lzwCompress, lzwDecompress, LZW_MAGIC } from './lzw';
import { charVocabulary, CharVocabulary, TextCorpus, textCorpus } from './text-corpus';

/** The Debian package that installs the corpus. */
export const KJV_PACKAGE = 'bible-kjv-text';
/** Where the package puts the compressed text. */
export const KJV_DATA_FILE = '/usr/lib/bible.data';
/** The characters of the cleaned KJV text, in code-point order: the corpus's fixed vocabulary (63 tokens). */
export const KJV_CHARS = "\n !'(),-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwxyz";

/** What to do when the corpus is missing or unreadable (DatasetError's fix). */
export const KJV_FIX = `Install the Debian package ${KJV_PACKAGE} (\`apt-get install ${KJV_PACKAGE}\`), or pass \`path\` to a text slice such as datasets/kjv-slice/genesis-1-38.txt`;

const MAGIC = 'EC02';
const HEADER = 0x5c;

/** One verse of the text. */
export interface KjvVerse {
  /** The file's book abbreviation, e.g. 'Ge', '1Sm', 'Rev'. */
  book: string;
  chapter: number;
  verse: number;
  /** The cleaned text of the verse. */
  text: string;
}

/** True when `bytes` start with the EC02 magic (a compressed data file rather than plain text). */
export function isBrsDataFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) === MAGIC;
}

/**
 * Decompresses a Bible Retrieval System data file ("EC02", as /usr/lib/bible.data) to its text. `file` names it
 * in errors.
 *
 * @example
 * const raw = readBrsDataFile(new Uint8Array(fs.readFileSync(KJV_DATA_FILE))); // 4,404,475 characters
 */
export function readBrsDataFile(bytes: Uint8Array, file = 'the data file', fix = KJV_FIX): string {
  if (!isBrsDataFile(bytes)) throw new DatasetError(file, `is not a Bible Retrieval System data file (it does not start with ${MAGIC})`, fix);
  if (bytes.length < HEADER) throw new DatasetError(file, `is truncated: ${bytes.length} bytes, shorter than its ${HEADER}-byte header`, fix);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const windowSize = view.getUint32(0x54);
  const count = view.getUint32(0x58);
  if (windowSize === 0 || count === 0 || HEADER + 4 * (count + 1) > bytes.length) {
    throw new DatasetError(file, `has a corrupt header (window size ${windowSize}, ${count} windows, in ${bytes.length} bytes)`, fix);
  }
  const offsets = Array.from({ length: count + 1 }, (_, i) => view.getUint32(HEADER + 4 * i));
  const tableEnd = HEADER + 4 * (count + 1);
  if (offsets[count] !== bytes.length) {
    throw new DatasetError(file, `is ${offsets[count] > bytes.length ? 'truncated' : 'longer than its index says'}: its index ends at byte ${offsets[count]}, the file has ${bytes.length} bytes`, fix);
  }
  for (let i = 0; i < count; i++) {
    if (!(offsets[i] < offsets[i + 1]) || offsets[0] < tableEnd + 3) throw new DatasetError(file, `has a corrupt window index (window ${i}: bytes ${offsets[i]}..${offsets[i + 1]})`, fix);
  }
  const z = offsets[0] - 3;
  if (bytes[z] !== LZW_MAGIC[0] || bytes[z + 1] !== LZW_MAGIC[1]) throw new DatasetError(file, `has no LZW header before its first window (byte ${z})`, fix);
  const lzw = { header: false, maxBits: bytes[z + 2] & 0x1f, blockMode: (bytes[z + 2] & 0x80) !== 0 };
  const decoder = new TextDecoder('latin1');
  let text = '';
  for (let i = 0; i < count; i++) {
    let window: Uint8Array;
    try {
      window = lzwDecompress(bytes.subarray(offsets[i], offsets[i + 1]), lzw);
    } catch (e) {
      throw new DatasetError(file, `window ${i} of ${count} does not decompress (${(e as Error).message})`, fix);
    }
    if (i < count - 1 ? window.length !== windowSize : window.length > windowSize) {
      throw new DatasetError(file, `window ${i} of ${count} decompresses to ${window.length} bytes, not the ${windowSize} of its header`, fix);
    }
    text += decoder.decode(window);
  }
  return text;
}

/**
 * Writes text as a Bible Retrieval System data file (the inverse of {@link readBrsDataFile}), each window an
 * LZW stream of its own; tests build small and corrupt data files with it.
 *
 * @example
 * readBrsDataFile(encodeBrsDataFile('Ge1:1 In the beginning\n', 8)); // 'Ge1:1 In the beginning\n'
 */
export function encodeBrsDataFile(text: string, windowSize = 65536, maxBits = 16): Uint8Array {
  if (!(Number.isInteger(windowSize) && windowSize > 0)) throw new RangeError(`windowSize must be a positive whole number, got ${windowSize}`);
  const raw = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new RangeError(`encodeBrsDataFile: the character ${JSON.stringify(text[i])} at ${i} is not a single byte (latin1)`);
    raw[i] = c;
  }
  const windows: Uint8Array[] = [];
  for (let s = 0; s < raw.length || windows.length === 0; s += windowSize) windows.push(lzwCompress(raw.subarray(s, s + windowSize), { header: false, maxBits }));
  const tableEnd = HEADER + 4 * (windows.length + 1);
  const total = tableEnd + 3 + windows.reduce((a, w) => a + w.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  const description = 'Compressed Data File';
  for (let i = 0; i < description.length; i++) out[4 + i] = description.charCodeAt(i);
  view.setUint32(0x54, windowSize);
  view.setUint32(0x58, windows.length);
  out.set([LZW_MAGIC[0], LZW_MAGIC[1], maxBits | 0x80], tableEnd);
  let at = tableEnd + 3;
  windows.forEach((w, i) => {
    view.setUint32(HEADER + 4 * i, at);
    out.set(w, at);
    at += w.length;
  });
  view.setUint32(HEADER + 4 * windows.length, at);
  return out;
}

const VERSE_LINE = /^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$/;

/**
 * Parses the KJV's verse lines (`Ge1:1 In the beginning ...`), skipping the title line and blank lines, into
 * verses with cleaned text. A line that is neither throws, naming its number.
 *
 * @example
 * parseKjv('Holy Bible\nGe1:1 In the  beginning\n'); // [{ book: 'Ge', chapter: 1, verse: 1, text: 'In the beginning' }]
 */
export function parseKjv(raw: string, file = 'the text', fix = KJV_FIX): KjvVerse[] {
  const verses: KjvVerse[] = [];
  const lines = raw.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = VERSE_LINE.exec(line);
    if (!m) {
      if (verses.length === 0 && i === 0) return; // the title line
      throw new DatasetError(file, `line ${i + 1} is not a verse line (book chapter:verse text): ${JSON.stringify(line.slice(0, 60))}`, fix);
    }
    verses.push({ book: m[1], chapter: Number(m[2]), verse: Number(m[3]), text: m[4].replace(/\s+/g, ' ').trim() });
  });
  return verses;
}

/** Verses grouped by chapter, in order. */
function chapters(verses: KjvVerse[]): KjvVerse[][] {
  const out: KjvVerse[][] = [];
  let key = '';
  for (const v of verses) {
    const k = `${v.book} ${v.chapter}`;
    if (k !== key) {
      out.push([]);
      key = k;
    }
    out[out.length - 1].push(v);
  }
  return out;
}

/** The KJV corpus and its counts. */
export interface KjvCorpus extends TextCorpus {
  books: number;
  chapters: number;
  verses: number;
  validationChapters: number;
}

/**
 * Splits verses into train and validation texts by chapter (every `validationEvery`-th chapter to validation),
 * one verse a line, and encodes them with the fixed vocabulary {@link KJV_CHARS}.
 *
 * @example
 * const c = kjvCorpus(parseKjv(raw), 10, 'bible.data');
 */
export function kjvCorpus(verses: KjvVerse[], validationEvery = 10, source = ''): KjvCorpus {
  if (!(Number.isInteger(validationEvery) && validationEvery >= 2)) throw new RangeError(`validationEvery must be a whole number >= 2, got ${validationEvery}`);
  const train: string[] = [];
  const validation: string[] = [];
  const grouped = chapters(verses);
  grouped.forEach((ch, i) => (i % validationEvery === validationEvery - 1 ? validation : train).push(...ch.map((v) => v.text + '\n')));
  const vocabulary: CharVocabulary = charVocabulary({ chars: KJV_CHARS });
  const corpus = textCorpus('kjv', train.join(''), validation.join(''), vocabulary, source);
  return {
    ...corpus,
    books: new Set(verses.map((v) => v.book)).size,
    chapters: grouped.length,
    verses: verses.length,
    validationChapters: Math.floor(grouped.length / validationEvery),
  };
}

/**
 * The KJV corpus of a file's bytes: an EC02 data file (as /usr/lib/bible.data) or plain text of verse lines,
 * decoded, parsed and checked against the vocabulary {@link KJV_CHARS}, then split by chapter (what loadKjv
 * does after reading the file; the course site calls it on the file it serves). `file` names it in errors.
 *
 * @example
 * const kjv = kjvFromBytes(new Uint8Array(await (await fetch('/data/kjv/bible.data')).arrayBuffer()), 'bible.data');
 */
export function kjvFromBytes(bytes: Uint8Array, file = 'the data file', validationEvery = 10, fix = KJV_FIX): KjvCorpus {
  const raw = isBrsDataFile(bytes) ? readBrsDataFile(bytes, file, fix) : new TextDecoder('utf-8').decode(bytes);
  const verses = parseKjv(raw, file, fix);
  if (verses.length === 0) throw new DatasetError(file, 'holds no verse lines', fix);
  const extra = new Set([...new Set(verses.map((v) => v.text).join(''))].filter((c) => !KJV_CHARS.includes(c)));
  if (extra.size) throw new DatasetError(file, `has characters outside the KJV vocabulary: ${JSON.stringify([...extra].join(''))}`, fix);
  return kjvCorpus(verses, validationEvery, file);
}

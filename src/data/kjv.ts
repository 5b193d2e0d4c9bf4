/**
 * loadKjv: the King James Version corpus read from Debian's `bible-kjv-text` package (Node: the file system).
 * The decoding, parsing and splitting are isomorphic, in ./kjv-text.ts (re-exported here); the course site's
 * notebook runner has a browser loadKjv over the same functions.
 */
import * as fs from 'fs';
import { DatasetError } from './idx';
import { KJV_DATA_FILE, KJV_FIX, kjvFromBytes, type KjvCorpus } from './kjv-text';

export * from './kjv-text';

/** Options of {@link loadKjv}. */
export interface KjvOptions {
  /** The EC02 data file (default {@link KJV_DATA_FILE}) or a plain-text file of verse lines (the committed slice). */
  path?: string;
  /** Every n-th chapter (the n-th, 2n-th, ...) goes to validation; default 10 (about 10% of the text). */
  validationEvery?: number;
}

/**
 * Loads the KJV as a character-level corpus: from Debian's bible-kjv-text (1,189 chapters, 31,102 verses,
 * about 4.1 M characters) or from a plain-text slice of its verse lines. A missing file says which package
 * to install.
 *
 * @example
 * const kjv = loadKjv(); // kjv.train: Int32Array of ~3.7 M token ids, kjv.vocabulary.size === 63
 * const slice = loadKjv({ path: 'datasets/kjv-slice/genesis-1-38.txt' });
 */
export function loadKjv(opts: KjvOptions = {}): KjvCorpus {
  const file = opts.path ?? KJV_DATA_FILE;
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`, KJV_FIX);
  }
  return kjvFromBytes(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), file, opts.validationEvery ?? 10);
}

/**
 * LZW as the Unix `compress` program writes it (the `.Z` format; isomorphic): codes packed least significant
 * bit first, 9 bits wide at the start and one bit wider each time the dictionary outgrows the width, up to
 * `maxBits` (10..16); in block mode code 256 clears the dictionary. The reader reads codes in groups of 8 (n_bits bytes)
 * and skips the rest of a group when the width changes or after a clear, as compress does, so a stream is
 * read exactly as `compress -d` (or `gzip -d`) reads it.
 *
 * The KJV corpus of Debian's bible-kjv-text is stored as such streams, one per 64 KB window (src/data/kjv.ts).
 */

/** The magic bytes of a `.Z` file, before its flags byte (maxBits | 0x80 for block mode). */
export const LZW_MAGIC = [0x1f, 0x9d] as const;

/** The clear code of block mode. */
const CLEAR = 256;

/** Options of {@link lzwDecompress} and {@link lzwCompress}. */
export interface LzwOptions {
  /** Widest code, 10..16 (compress's default 16). */
  maxBits?: number;
  /** Whether code 256 is the clear code (compress's -C turns it off); default true. */
  blockMode?: boolean;
  /** Whether the stream starts with the 3-byte `.Z` header (magic and flags); default true. */
  header?: boolean;
}

/** The raised error of a corrupt stream: names the byte where decoding failed. */
export class LzwError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LzwError';
  }
}

/**
 * compress's largest code at width `nBits`: past it the width grows, except at `maxBits`, where the dictionary
 * is capped instead.
 */
function widened(nBits: number, maxBits: number): number {
  return nBits === maxBits ? 1 << maxBits : (1 << nBits) - 1;
}

function checkMaxBits(maxBits: number): void {
  // 9-bit streams are left out: readers disagree on them (gzip widens to 10 bits once the 512 entries are used,
  // ncompress keeps growing the dictionary), so no answer here could be the right one for every writer.
  if (!(Number.isInteger(maxBits) && maxBits >= 10 && maxBits <= 16)) throw new RangeError(`LZW maxBits must be a whole number in 10..16, got ${maxBits}`);
}

/**
 * Decompresses one LZW stream. With `header` (the default) the stream's own header gives maxBits and block
 * mode; without it (a raw stream, as inside the bible-kjv-text data file) they come from the options.
 *
 * @example
 * const text = new TextDecoder().decode(lzwDecompress(fs.readFileSync('file.Z')));
 * const window = lzwDecompress(bytes.subarray(start, end), { header: false, maxBits: 16 });
 */
export function lzwDecompress(bytes: Uint8Array, opts: LzwOptions = {}): Uint8Array {
  let maxBits = opts.maxBits ?? 16;
  let blockMode = opts.blockMode ?? true;
  let pos = 0; // bit position
  if (opts.header ?? true) {
    if (bytes.length < 3 || bytes[0] !== LZW_MAGIC[0] || bytes[1] !== LZW_MAGIC[1]) throw new LzwError('not an LZW (.Z) stream: it does not start with the bytes 1f 9d');
    maxBits = bytes[2] & 0x1f;
    blockMode = (bytes[2] & 0x80) !== 0;
    pos = 24;
  }
  checkMaxBits(maxBits);
  const maxMaxCode = 1 << maxBits;
  // dictionary: entry c is prefix[c] followed by suffix[c]; first[c] is its first byte, length[c] its length
  const prefix = new Int32Array(maxMaxCode);
  const suffix = new Uint8Array(maxMaxCode);
  const length = new Int32Array(maxMaxCode);
  for (let c = 0; c < 256; c++) {
    prefix[c] = -1;
    suffix[c] = c;
    length[c] = 1;
  }
  const first = blockMode ? CLEAR + 1 : CLEAR;
  let free = first;
  let nBits = 9;
  let maxCode = 511; // the code width grows past this (compress's maxcode; see widen)
  let groupStart = pos;
  const totalBits = bytes.length * 8;
  let out = new Uint8Array(Math.max(1024, bytes.length * 3));
  let size = 0;
  let prev = -1;
  const skipGroup = () => {
    const g = nBits * 8;
    pos = groupStart + Math.ceil((pos - groupStart) / g) * g;
    groupStart = pos;
  };
  while (pos + nBits <= totalBits) {
    const byte = pos >> 3;
    const word = bytes[byte] | ((bytes[byte + 1] ?? 0) << 8) | ((bytes[byte + 2] ?? 0) << 16);
    const code = (word >>> (pos & 7)) & ((1 << nBits) - 1);
    pos += nBits;
    if (blockMode && code === CLEAR) {
      skipGroup();
      nBits = 9;
      maxCode = 511;
      free = first;
      prev = -1;
      continue;
    }
    let entry: number;
    if (prev < 0 ? code < 256 : code < free) entry = code;
    else if (prev >= 0 && code === free) entry = -1; // the KwKwK case: prev + first byte of prev
    else throw new LzwError(`corrupt LZW stream: code ${code} at byte ${byte} is past the dictionary (${prev < 0 ? 256 : free} entries)`);
    const len = entry >= 0 ? length[entry] : length[prev] + 1;
    if (size + len > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, size + len));
      grown.set(out.subarray(0, size));
      out = grown;
    }
    // write the entry backwards from its last byte
    let c = entry >= 0 ? entry : prev;
    let at = size + len - 1;
    if (entry < 0) at--; // the KwKwK string's last byte is written below
    while (c >= 0) {
      out[at--] = suffix[c];
      c = prefix[c];
    }
    if (entry < 0) out[size + len - 1] = out[size];
    if (prev >= 0 && free < maxMaxCode) {
      prefix[free] = prev;
      suffix[free] = out[size];
      length[free] = length[prev] + 1;
      free++;
    }
    size += len;
    prev = entry >= 0 ? entry : free - 1;
    if (free > maxCode) {
      skipGroup();
      nBits++;
      maxCode = widened(nBits, maxBits);
    }
  }
  return out.slice(0, size);
}

/**
 * Compresses bytes into one LZW stream that `compress -d` / `gzip -d` read (with the default `header`). The
 * dictionary grows until it is full and then stays as it is (no clear code is written), which any reader accepts.
 *
 * @example
 * const z = lzwCompress(new TextEncoder().encode('TOBEORNOTTOBEORTOBEORNOT'));
 * lzwDecompress(z); // the same bytes
 */
export function lzwCompress(input: Uint8Array, opts: LzwOptions = {}): Uint8Array {
  const maxBits = opts.maxBits ?? 16;
  const blockMode = opts.blockMode ?? true;
  checkMaxBits(maxBits);
  const header = opts.header ?? true;
  const out: number[] = header ? [LZW_MAGIC[0], LZW_MAGIC[1], maxBits | (blockMode ? 0x80 : 0)] : [];
  const base = out.length * 8;
  let pos = base;
  let groupStart = base;
  let nBits = 9;
  let maxCode = 511;
  let free = blockMode ? CLEAR + 1 : CLEAR;
  const maxMaxCode = 1 << maxBits;
  const table = new Map<number, number>(); // (prefix code << 8 | byte) -> code
  const write = (code: number) => {
    for (let b = 0; b < nBits; b++, pos++) {
      const i = pos >> 3;
      while (out.length <= i) out.push(0);
      if ((code >> b) & 1) out[i] |= 1 << (pos & 7);
    }
    // compress widens the code after writing the code at which the dictionary (before this step's entry) is full
    if (free > maxCode) {
      const g = nBits * 8;
      pos = groupStart + Math.ceil((pos - groupStart) / g) * g;
      while (out.length < pos >> 3) out.push(0);
      groupStart = pos;
      nBits++;
      maxCode = widened(nBits, maxBits);
    }
  };
  if (input.length === 0) return Uint8Array.from(out);
  let ent = input[0];
  for (let i = 1; i < input.length; i++) {
    const c = input[i];
    const key = ent * 256 + c;
    const found = table.get(key);
    if (found !== undefined) {
      ent = found;
      continue;
    }
    write(ent);
    if (free < maxMaxCode) table.set(key, free++);
    ent = c;
  }
  write(ent);
  return Uint8Array.from(out.slice(0, Math.ceil(pos / 8)));
}

/**
 * The IDX file format of MNIST and Fashion-MNIST: a big-endian header (magic 2051 for images, 2049 for
 * labels, then the item count and, for images, rows and columns) followed by unsigned bytes.
 * Isomorphic: works on bytes, never touches the file system.
 */

export const IMAGE_MAGIC = 2051;
export const LABEL_MAGIC = 2049;

/** An error in a data file: names the file, what is wrong and how to fix it. */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}: ${problem}. ${fix}`);
    this.name = 'DatasetError';
  }
}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols bytes, row-major. */
  pixels: Uint8Array;
}

function readHeader(bytes: Uint8Array, words: number, file: string, fix: string): number[] {
  if (bytes.length < words * 4) {
    throw new DatasetError(file, `is ${bytes.length} bytes, shorter than its ${words * 4}-byte IDX header`, fix);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false));
}

/**
 * Parses an IDX3 image file.
 *
 * @example
 * const { count, rows, cols, pixels } = parseIdxImages(fs.readFileSync('t10k-images-idx3-ubyte'), 't10k-images');
 */
export function parseIdxImages(bytes: Uint8Array, file: string, fix = 'Reinstall the dataset'): IdxImages {
  const [magic, count, rows, cols] = readHeader(bytes, 4, file, fix);
  if (magic !== IMAGE_MAGIC) {
    throw new DatasetError(file, `has magic number ${magic}, expected ${IMAGE_MAGIC} for an IDX image file (is it a label file, or still gzipped?)`, fix);
  }
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new DatasetError(file, `is ${bytes.length} bytes but its header (${count} images of ${rows}x${cols}) implies ${expected}: the file is truncated or corrupt`, fix);
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/**
 * Parses an IDX1 label file.
 *
 * @example
 * const labels = parseIdxLabels(fs.readFileSync('t10k-labels-idx1-ubyte'), 't10k-labels');
 */
export function parseIdxLabels(bytes: Uint8Array, file: string, fix = 'Reinstall the dataset', numClasses = 10): Uint8Array {
  const [magic, count] = readHeader(bytes, 2, file, fix);
  if (magic !== LABEL_MAGIC) {
    throw new DatasetError(file, `has magic number ${magic}, expected ${LABEL_MAGIC} for an IDX label file (is it an image file, or still gzipped?)`, fix);
  }
  if (bytes.length !== 8 + count) {
    throw new DatasetError(file, `is ${bytes.length} bytes but its header (${count} labels) implies ${8 + count}: the file is truncated or corrupt`, fix);
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((l) => l >= numClasses);
  if (bad >= 0) throw new DatasetError(file, `label ${bad} is ${labels[bad]}, outside 0..${numClasses - 1}: the file is corrupt`, fix);
  return labels;
}

/** Encodes images or labels as IDX bytes (used to write fixtures and test slices). */
export function encodeIdx(kind: 'images' | 'labels', data: Uint8Array, count: number, rows = 28, cols = 28): Uint8Array {
  const header = kind === 'images' ? [IMAGE_MAGIC, count, rows, cols] : [LABEL_MAGIC, count];
  const out = new Uint8Array(header.length * 4 + data.length);
  const view = new DataView(out.buffer);
  header.forEach((v, i) => view.setUint32(i * 4, v, false));
  out.set(data, header.length * 4);
  return out;
}

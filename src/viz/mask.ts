/**
 * Pruning-mask views for the sparsity payload: pack a 0/1 mask into base64 bits (small layers) or reduce it
 * to a density grid (large layers), and unpack either back into a 2-D array for a heat map. Pure and
 * isomorphic (its own base64, no Buffer, no atob).
 */
import type { MaskView, SparsityLayer } from './payloads';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: Record<string, number> = Object.fromEntries([...B64].map((ch, i) => [ch, i]));

/**
 * Standard base64 (with `=` padding) of a byte array.
 *
 * @example
 * base64Encode(new Uint8Array([255, 0])); // '/wA='
 */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i];
    const b1 = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/**
 * Decodes standard base64. Throws on characters outside the alphabet or a length that is not a multiple of 4.
 *
 * @example
 * base64Decode('/wA='); // Uint8Array [255, 0]
 */
export function base64Decode(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`base64 text length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const ch = text[i + k];
      const v = ch === '=' && i + k >= text.length - pad ? 0 : B64_INDEX[ch];
      if (v === undefined) throw new Error(`invalid base64 character '${ch}' at ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Number of bytes that hold `count` bits packed 8 per byte. */
export function packedByteLength(count: number): number {
  return Math.ceil(count / 8);
}

/**
 * Packs a 0/1 mask (any nonzero counts as kept) into base64, 8 bits per byte, most significant bit first.
 *
 * @example
 * packMaskBits([1, 0, 1, 1, 0, 0, 0, 0]); // 'sA=='
 */
export function packMaskBits(mask: ArrayLike<number>): string {
  const bytes = new Uint8Array(packedByteLength(mask.length));
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) bytes[i >> 3] |= 0x80 >> (i & 7);
  return base64Encode(bytes);
}

/**
 * Unpacks `count` mask bits from base64 (the inverse of {@link packMaskBits}).
 *
 * @example
 * unpackMaskBits('sA==', 4); // Uint8Array [1, 0, 1, 1]
 */
export function unpackMaskBits(bits: string, count: number): Uint8Array {
  const bytes = base64Decode(bits);
  if (bytes.length < packedByteLength(count)) {
    throw new Error(`mask holds ${bytes.length * 8} bits, ${count} needed`);
  }
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return out;
}

/**
 * Views a tensor shape as [rows, cols]: cols = the last dimension, rows = the product of the others
 * (a 1-D tensor is one row).
 *
 * @example
 * matrixShape([5, 5, 1, 6]); // [25, 6]
 */
export function matrixShape(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  const cols = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return [rows, cols];
}

export interface MaskViewOptions {
  /** Largest rows*cols kept as exact bits (default 512*512). */
  maxBits?: number;
  /** Largest grid side for the density view (default 128). */
  gridSize?: number;
}

/**
 * Builds the payload's mask view of a weight tensor's 0/1 mask: exact bits when rows*cols <= maxBits,
 * else a density grid of at most gridSize x gridSize cells.
 *
 * @example
 * const view = buildMaskView(mask, [784, 300]); // { kind: 'bits', rows: 784, cols: 300, bits: '...' }
 */
export function buildMaskView(mask: ArrayLike<number>, shape: number[], opts: MaskViewOptions = {}): MaskView {
  const [rows, cols] = matrixShape(shape);
  if (rows * cols !== mask.length) {
    throw new Error(`mask has ${mask.length} values but shape [${shape.join(', ')}] has ${rows * cols}`);
  }
  const maxBits = opts.maxBits ?? 512 * 512;
  if (rows * cols <= maxBits) return { kind: 'bits', rows, cols, bits: packMaskBits(mask) };
  const gridSize = opts.gridSize ?? 128;
  const cellRows = Math.ceil(rows / Math.min(rows, gridSize));
  const cellCols = Math.ceil(cols / Math.min(cols, gridSize));
  const gr = Math.ceil(rows / cellRows);
  const gc = Math.ceil(cols / cellCols);
  const kept = new Float64Array(gr * gc);
  const total = new Float64Array(gr * gc);
  for (let r = 0; r < rows; r++) {
    const base = Math.floor(r / cellRows) * gc;
    for (let c = 0; c < cols; c++) {
      const cell = base + Math.floor(c / cellCols);
      total[cell]++;
      if (mask[r * cols + c] !== 0) kept[cell]++;
    }
  }
  const density = Array.from(kept, (k, i) => k / total[i]);
  return { kind: 'density', rows: gr, cols: gc, cellRows, cellCols, density };
}

/**
 * A payload layer from a weight tensor's mask (or its weights: zeros count as pruned).
 *
 * @example
 * const layer = sparsityLayer('dense_1/kernel', [784, 300], weights);
 */
export function sparsityLayer(name: string, shape: number[], maskOrWeights: ArrayLike<number>, opts: MaskViewOptions = {}): SparsityLayer {
  let zeros = 0;
  for (let i = 0; i < maskOrWeights.length; i++) if (maskOrWeights[i] === 0) zeros++;
  return {
    name,
    shape: [...shape],
    sparsity: maskOrWeights.length ? zeros / maskOrWeights.length : 0,
    mask: buildMaskView(maskOrWeights, shape, opts),
  };
}

/**
 * The mask view as rows of numbers: 0/1 bits, or kept fractions for a density grid.
 *
 * @example
 * maskMatrix({ kind: 'bits', rows: 1, cols: 4, bits: 'sA==' }); // [[1, 0, 1, 1]]
 */
export function maskMatrix(view: MaskView): number[][] {
  const out: number[][] = [];
  if (view.kind === 'bits') {
    const flat = unpackMaskBits(view.bits, view.rows * view.cols);
    for (let r = 0; r < view.rows; r++) out.push(Array.from(flat.subarray(r * view.cols, (r + 1) * view.cols)));
  } else {
    for (let r = 0; r < view.rows; r++) out.push(view.density.slice(r * view.cols, (r + 1) * view.cols));
  }
  return out;
}

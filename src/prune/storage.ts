/**
 * Sparse storage of pruned weights, with byte counts measured from the actual encoded arrays:
 * CSR (row pointers, column indices, nonzero values) and bitmask + values (one bit per weight, then the
 * nonzero values in order). Both round-trip exactly to the dense matrix.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { kernelShape, kernelValues, selectLayers } from './masks';

/** Compressed sparse rows of a [rows, cols] matrix. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** rows + 1 offsets into colIndex / values. */
  rowPtr: Uint32Array;
  /** Column of each nonzero: 16-bit when cols <= 65536, else 32-bit. */
  colIndex: Uint16Array | Uint32Array;
  values: Float32Array;
}

/** One bit per weight (1 = nonzero, MSB first) and the nonzero values in row-major order. */
export interface BitmaskMatrix {
  rows: number;
  cols: number;
  bits: Uint8Array;
  values: Float32Array;
}

function checkDense(dense: ArrayLike<number>, rows: number, cols: number): void {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0) || dense.length !== rows * cols) {
    throw new RangeError(`dense array of ${dense.length} values does not match shape [${rows}, ${cols}]`);
  }
}

/**
 * Encodes a row-major dense matrix as CSR.
 *
 * @example
 * const csr = toCsr(new Float32Array([0, 2, 0, 0, 0, 3]), 2, 3); // rowPtr [0,1,2], colIndex [1,2], values [2,3]
 */
export function toCsr(dense: ArrayLike<number>, rows: number, cols: number): CsrMatrix {
  checkDense(dense, rows, cols);
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
  const rowPtr = new Uint32Array(rows + 1);
  const colIndex = cols <= 65536 ? new Uint16Array(nnz) : new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c];
      if (v !== 0) {
        colIndex[k] = c;
        values[k++] = v;
      }
    }
    rowPtr[r + 1] = k;
  }
  return { rows, cols, rowPtr, colIndex, values };
}

/**
 * Decodes CSR back to a row-major dense Float32Array.
 *
 * @example
 * fromCsr(toCsr(w, 2, 3)); // equals w
 */
export function fromCsr(m: CsrMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.rowPtr[r]; k < m.rowPtr[r + 1]; k++) out[r * m.cols + m.colIndex[k]] = m.values[k];
  }
  return out;
}

/** Bytes of a CSR matrix's arrays. */
export function csrBytes(m: CsrMatrix): number {
  return m.rowPtr.byteLength + m.colIndex.byteLength + m.values.byteLength;
}

/**
 * Encodes a dense matrix as a bitmask plus its nonzero values.
 *
 * @example
 * const b = toBitmask(new Float32Array([0, 2, 0, 0, 0, 3]), 2, 3); // bits [0b01000100], values [2, 3]
 */
export function toBitmask(dense: ArrayLike<number>, rows: number, cols: number): BitmaskMatrix {
  checkDense(dense, rows, cols);
  const bits = new Uint8Array(Math.ceil(dense.length / 8));
  const values: number[] = [];
  for (let i = 0; i < dense.length; i++) {
    if (dense[i] !== 0) {
      bits[i >> 3] |= 0x80 >> (i & 7);
      values.push(dense[i]);
    }
  }
  return { rows, cols, bits, values: Float32Array.from(values) };
}

/**
 * Decodes a bitmask matrix back to dense.
 *
 * @example
 * fromBitmask(toBitmask(w, 2, 3)); // equals w
 */
export function fromBitmask(m: BitmaskMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  let k = 0;
  for (let i = 0; i < out.length; i++) if ((m.bits[i >> 3] >> (7 - (i & 7))) & 1) out[i] = m.values[k++];
  if (k !== m.values.length) throw new RangeError(`bitmask has ${k} set bits but ${m.values.length} values`);
  return out;
}

/** Bytes of a bitmask matrix's arrays. */
export function bitmaskBytes(m: BitmaskMatrix): number {
  return m.bits.byteLength + m.values.byteLength;
}

export interface StorageRow {
  layer: string;
  shape: number[];
  nonzeros: number;
  denseBytes: number;
  csrBytes: number;
  bitmaskBytes: number;
}

export interface StorageReport {
  layers: StorageRow[];
  total: Omit<StorageRow, 'layer' | 'shape'>;
}

/**
 * Measures the float32 kernel storage of each prunable layer dense, as CSR and as bitmask + values
 * (kernels viewed as [prod(other dims), last dim]); biases are not counted.
 *
 * @example
 * const report = sparseStorage(model); // report.total.csrBytes vs report.total.denseBytes
 */
export function sparseStorage(model: LayersModel, layers?: string[]): StorageReport {
  const rows: StorageRow[] = selectLayers(model, layers).map((layer) => {
    const shape = kernelShape(layer);
    const values = kernelValues(layer);
    const cols = shape[shape.length - 1];
    const r = values.length / cols;
    const csr = toCsr(values, r, cols);
    return {
      layer: layer.name,
      shape,
      nonzeros: csr.values.length,
      denseBytes: values.byteLength,
      csrBytes: csrBytes(csr),
      bitmaskBytes: bitmaskBytes(toBitmask(values, r, cols)),
    };
  });
  const sum = (k: 'nonzeros' | 'denseBytes' | 'csrBytes' | 'bitmaskBytes') => rows.reduce((a, row) => a + row[k], 0);
  return { layers: rows, total: { nonzeros: sum('nonzeros'), denseBytes: sum('denseBytes'), csrBytes: sum('csrBytes'), bitmaskBytes: sum('bitmaskBytes') } };
}

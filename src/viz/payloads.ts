/**
 * The visualizer payload contracts (their one definition; ARCHITECTURE.md): JSON values the library emits under custom MIME types and
 * the JupyterLab extension and the course site draw with the same figure functions. Bump `version` on any
 * incompatible change; renderers show a readable error for versions they do not know.
 */

export const SPARSITY_MIME = 'application/vnd.optilab.sparsity+json';
export const QUANTIZATION_MIME = 'application/vnd.optilab.quantization+json';
export const SPARSITY_VERSION = 1;
export const QUANTIZATION_VERSION = 1;

/**
 * A 2-D view of a weight tensor's pruning mask. Weights are viewed as [rows, cols] with cols = the last
 * dimension (output units / filters) and rows = the product of the others (e.g. kh*kw*cin for a conv kernel).
 */
export type MaskView =
  | {
      kind: 'bits';
      rows: number;
      cols: number;
      /** rows*cols mask bits, row-major, 1 = weight kept, packed 8 per byte (MSB first), base64. */
      bits: string;
    }
  | {
      kind: 'density';
      /** Grid size. */
      rows: number;
      cols: number;
      /** Weights per grid cell along each axis (the last row/column of cells may cover fewer). */
      cellRows: number;
      cellCols: number;
      /** rows*cols fractions of weights kept in each cell, row-major, in [0, 1]. */
      density: number[];
    };

export interface SparsityLayer {
  name: string;
  /** The weight tensor's shape. */
  shape: number[];
  /** Fraction of weights that are zero (pruned), in [0, 1]. */
  sparsity: number;
  mask: MaskView;
}

export interface SparsityHistory {
  /** Pruning steps (or epochs) at which sparsity was recorded. */
  steps: number[];
  global: number[];
  perLayer: Record<string, number[]>;
  /** Optional accuracy at each step, in [0, 1]. */
  accuracy?: number[];
}

export interface SparsityPayload {
  version: number;
  model?: string;
  title?: string;
  layers: SparsityLayer[];
  history?: SparsityHistory;
}

export interface Histogram {
  /** counts.length + 1 increasing bin edges. */
  edges: number[];
  counts: number[];
}

export interface QuantFormat {
  bits: number;
  scheme: 'symmetric' | 'asymmetric' | 'power-of-two' | 'kmeans' | 'binary' | 'ternary' | 'float';
  signed: boolean;
  granularity: 'tensor' | 'channel' | 'group';
  groupSize?: number;
}

export interface QuantMethodResult {
  /** e.g. 'minmax', 'percentile', 'entropy', 'mse'. */
  method: string;
  /** Histogram of the quantization error (dequantized - original). */
  errorHistogram: Histogram;
  mse: number;
  /** Signal-to-quantization-noise ratio in dB. */
  sqnr: number;
  clipMin?: number;
  clipMax?: number;
}

export interface ActivationRange {
  /** Observed range of the activation values. */
  min: number;
  max: number;
  /** Range the quantizer represents; values outside it saturate. */
  clipMin: number;
  clipMax: number;
  /** Fraction of values outside [clipMin, clipMax]. */
  saturationRate: number;
  histogram: Histogram;
}

export interface QuantLayer {
  name: string;
  shape: number[];
  format: QuantFormat;
  /** One scale per tensor, channel or group. */
  scales: number[];
  zeroPoints: number[];
  methods: QuantMethodResult[];
  activation?: ActivationRange;
}

export interface BitLayoutEntry {
  value: number;
  format: 'float32' | 'float16' | 'bfloat16' | 'fp8-e4m3' | 'fp8-e5m2' | string;
  sign: string;
  exponent: string;
  mantissa: string;
  /** The value the format actually stores. */
  stored: number;
}

export interface QuantizationPayload {
  version: number;
  model?: string;
  title?: string;
  layers: QuantLayer[];
  /** QAT: per-layer quantization MSE at each training step. */
  qatTrace?: { steps: number[]; mse: Record<string, number[]> };
  bitLayout?: BitLayoutEntry[];
}

export const ROOFLINE_MIME = 'application/vnd.optilab.roofline+json';
export const ROOFLINE_VERSION = 1;

/** One kernel or layer on a roofline. */
export interface RooflinePoint {
  name: string;
  /** 'kernel': a measured kernel; 'layer': a model layer placed by its arithmetic intensity alone. */
  group: 'kernel' | 'layer';
  /** Arithmetic intensity: FLOPs per byte moved (by the payload's byte model), > 0. */
  intensity: number;
  /** Measured GFLOP/s (kernels); absent for layers, which are drawn on the roof they are bound by. */
  gflops?: number;
  /** FLOPs and bytes behind the intensity (optional, shown on hover). */
  flops?: number;
  bytes?: number;
  /** Optional grouping label, e.g. the model of a layer ('lenet5'). */
  series?: string;
}

/**
 * A roofline of one machine: attainable GFLOP/s = min(peak, bandwidth · intensity), with points for kernels
 * and layers.
 */
export interface RooflinePayload {
  version: number;
  title?: string;
  /** Measured compute peak, GFLOP/s, and how it was measured. */
  peakGflops: number;
  peakSource?: string;
  /** Measured memory bandwidth, GB/s (1e9 bytes / s), and how it was measured. */
  bandwidthGBs: number;
  bandwidthSource?: string;
  /** How bytes are counted for the intensities, e.g. 'compulsory: each operand read once, output written once, 4 B/float'. */
  byteModel?: string;
  points: RooflinePoint[];
}

/**
 * Every optilab payload MIME type. Renderers (the lab extension, the course site's notebook pages and their
 * live runner) register exactly this list, so a payload added here cannot be forgotten by one of them
 * (tests/viz/payloads.test.ts fails when a `*_MIME` constant is missing from it).
 *
 * @example
 * const mime = PAYLOAD_MIMES.find((m) => bundle[m] !== undefined);
 */
export const PAYLOAD_MIMES = [SPARSITY_MIME, QUANTIZATION_MIME, ROOFLINE_MIME] as const;

/** One of the optilab payload MIME types. */
export type PayloadMime = (typeof PAYLOAD_MIMES)[number];

/** The payload type carried by each MIME type. */
export interface PayloadByMime {
  [SPARSITY_MIME]: SparsityPayload;
  [QUANTIZATION_MIME]: QuantizationPayload;
  [ROOFLINE_MIME]: RooflinePayload;
}

/** Any optilab payload. */
export type Payload = PayloadByMime[PayloadMime];

/**
 * The short name of a payload MIME type ('sparsity', 'quantization', 'roofline'), or null for other types.
 *
 * @example
 * payloadKind(ROOFLINE_MIME); // 'roofline'
 */
export function payloadKind(mime: string): 'sparsity' | 'quantization' | 'roofline' | null {
  if (mime === SPARSITY_MIME) return 'sparsity';
  if (mime === QUANTIZATION_MIME) return 'quantization';
  if (mime === ROOFLINE_MIME) return 'roofline';
  return null;
}

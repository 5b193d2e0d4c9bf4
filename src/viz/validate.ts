/**
 * Payload validation: turns anything a kernel sent into a typed payload or a short list of readable
 * errors (what is wrong, where, and what to do), so a renderer shows an error box instead of a blank cell
 * or an exception. Payloads with a newer `version` than this code knows are refused with an upgrade hint.
 */
import {
  QUANTIZATION_MIME,
  QUANTIZATION_VERSION,
  PAYLOAD_MIMES,
  ROOFLINE_MIME,
  ROOFLINE_VERSION,
  SPARSITY_MIME,
  SPARSITY_VERSION,
  type Payload,
  type PayloadByMime,
  type QuantizationPayload,
  type RooflinePayload,
  type SparsityPayload,
} from './payloads';
import { base64Decode, packedByteLength } from './mask';

export type Validation<T> = { ok: true; payload: T } | { ok: false; errors: string[] };

/** Thrown by the assert* functions; `errors` lists every problem found. */
export class PayloadError extends Error {
  constructor(readonly kind: string, readonly errors: string[]) {
    super(`invalid ${kind} payload: ${errors.join('; ')}`);
    this.name = 'PayloadError';
  }
}

const MAX_ERRORS = 8;

class Checker {
  errors: string[] = [];
  fail(path: string, message: string): false {
    if (this.errors.length < MAX_ERRORS) this.errors.push(`${path}: ${message}`);
    else if (this.errors.length === MAX_ERRORS) this.errors.push('(more errors not shown)');
    return false;
  }
  object(v: unknown, path: string): v is Record<string, unknown> {
    return (typeof v === 'object' && v !== null && !Array.isArray(v)) || this.fail(path, `expected an object, got ${describe(v)}`);
  }
  array(v: unknown, path: string): v is unknown[] {
    return Array.isArray(v) || this.fail(path, `expected an array, got ${describe(v)}`);
  }
  string(v: unknown, path: string): v is string {
    return typeof v === 'string' || this.fail(path, `expected a string, got ${describe(v)}`);
  }
  number(v: unknown, path: string, opts: { min?: number; max?: number; int?: boolean } = {}): v is number {
    if (typeof v !== 'number' || Number.isNaN(v)) return this.fail(path, `expected a number, got ${describe(v)}`);
    if (opts.int && !Number.isInteger(v)) return this.fail(path, `expected a whole number, got ${v}`);
    if (opts.min !== undefined && v < opts.min) return this.fail(path, `must be >= ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) return this.fail(path, `must be <= ${opts.max}, got ${v}`);
    return true;
  }
  /** Finite numbers, or null (JSON's stand-in for NaN / Infinity), in an array. */
  numbers(v: unknown, path: string, length?: number): v is number[] {
    if (!this.array(v, path)) return false;
    if (length !== undefined && v.length !== length) return this.fail(path, `expected ${length} values, got ${v.length}`);
    const bad = v.findIndex((x) => typeof x !== 'number' && x !== null);
    return bad < 0 || this.fail(`${path}[${bad}]`, `expected a number, got ${describe(v[bad])}`);
  }
  histogram(v: unknown, path: string): boolean {
    if (!this.object(v, path)) return false;
    if (!this.numbers(v.counts, `${path}.counts`)) return false;
    if (!this.numbers(v.edges, `${path}.edges`, v.counts.length + 1)) return false;
    const e = v.edges as number[];
    const i = e.findIndex((x, k) => k > 0 && !(x > e[k - 1]));
    return i < 0 || this.fail(`${path}.edges`, `edges must increase, but edges[${i}] = ${e[i]} follows ${e[i - 1]}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length > 24 ? `a string ("${v.slice(0, 24)}...")` : `"${v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function parse(value: unknown, c: Checker): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    c.fail('payload', `not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

function checkVersion(c: Checker, p: Record<string, unknown>, supported: number, kind: string): boolean {
  if (!c.number(p.version, 'version', { min: 1, int: true })) return false;
  if ((p.version as number) > supported) {
    c.fail('version', `this ${kind} payload has version ${p.version}, newer than the supported version ${supported}: ` +
      'update optilab and the lab extension (run scripts/setup.sh), or emit the payload with the older library');
    return false;
  }
  return true;
}

/** `shape` viewed as [rows, cols] as masks are (cols = the last dimension, rows = the product of the others). */
function matrixOf(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), shape[shape.length - 1]];
}

const MASK_FIX = "rebuild it from the layer's weights with sparsityLayer(name, shape, mask), or fix the layer's shape";

/** Checks a mask view; with the layer's (valid) `shape`, also that the mask covers exactly that tensor. */
function checkMask(c: Checker, m: unknown, path: string, shape?: number[]): void {
  if (!c.object(m, path)) return;
  if (m.kind !== 'bits' && m.kind !== 'density') {
    c.fail(`${path}.kind`, `expected 'bits' or 'density', got ${describe(m.kind)}`);
    return;
  }
  if (!c.number(m.rows, `${path}.rows`, { min: 1, int: true }) || !c.number(m.cols, `${path}.cols`, { min: 1, int: true })) return;
  const cells = m.rows * m.cols;
  const [rows, cols] = shape ? matrixOf(shape) : [0, 0];
  const view = shape ? `the layer's shape [${shape.join(', ')}], viewed as ${rows}x${cols} (rows = the product of all but the last dimension, cols = the last)` : '';
  if (m.kind === 'bits') {
    if (shape && (m.rows !== rows || m.cols !== cols)) c.fail(path, `a ${m.rows}x${m.cols} mask does not fit ${view}: ${MASK_FIX}`);
    if (!c.string(m.bits, `${path}.bits`)) return;
    let bytes: Uint8Array;
    try {
      bytes = base64Decode(m.bits);
    } catch (e) {
      c.fail(`${path}.bits`, `not base64 (${(e as Error).message})`);
      return;
    }
    if (bytes.length < packedByteLength(cells)) {
      c.fail(`${path}.bits`, `holds ${bytes.length} bytes, ${packedByteLength(cells)} needed for ${m.rows}x${m.cols} bits`);
    }
  } else {
    const cellsOk = c.number(m.cellRows, `${path}.cellRows`, { min: 1, int: true }) && c.number(m.cellCols, `${path}.cellCols`, { min: 1, int: true });
    if (shape && cellsOk) {
      const cr = m.cellRows as number;
      const cc = m.cellCols as number;
      const gr = Math.ceil(rows / cr);
      const gc = Math.ceil(cols / cc);
      if (m.rows !== gr || m.cols !== gc) {
        c.fail(path, `a ${m.rows}x${m.cols} grid of ${cr}x${cc}-weight cells does not fit ${view}, which needs a ${gr}x${gc} grid: ${MASK_FIX}`);
      }
    }
    if (c.numbers(m.density, `${path}.density`, cells)) {
      // null stands for NaN in JSON: not a fraction, and `null >= 0` would let it through
      const bad = (m.density as (number | null)[]).findIndex((x) => x === null || !(x >= 0 && x <= 1));
      if (bad >= 0) c.fail(`${path}.density[${bad}]`, `must be a fraction in [0, 1], got ${m.density[bad]}`);
    }
  }
}

/** Checks a tensor shape; true when it is an array of positive whole dimensions. */
function checkShape(c: Checker, v: unknown, path: string): v is number[] {
  if (!c.array(v, path)) return false;
  if (v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) return c.fail(path, `expected positive whole dimensions, got [${v.join(', ')}]`);
  return true;
}

const GRANULARITIES = ['tensor', 'channel', 'group'];

/**
 * How many scales / zero points a layer of `shape` quantized with `format` has (the layout of
 * src/quantize/qparams.ts sliceLayout, channels along the last axis), and what they are for; null when the
 * format is not valid (reported at `path`).
 */
function expectedScales(c: Checker, shape: number[] | undefined, format: Record<string, unknown>, path: string): { count: number; what: string } | null {
  const g = format.granularity;
  if (typeof g !== 'string' || !GRANULARITIES.includes(g)) {
    c.fail(`${path}.granularity`, `expected 'tensor', 'channel' or 'group', got ${describe(g)}`);
    return null;
  }
  if (g === 'group' && !c.number(format.groupSize, `${path}.groupSize`, { min: 1, int: true })) return null;
  if (!shape) return null;
  const channels = shape.length ? shape[shape.length - 1] : 1;
  const n = shape.reduce((a, b) => a * b, 1);
  if (g === 'tensor') return { count: 1, what: 'per-tensor quantization' };
  if (g === 'channel') return { count: channels, what: `one per channel of the last axis of shape [${shape.join(', ')}]` };
  const size = format.groupSize as number;
  const groups = Math.ceil(n / channels / size);
  return { count: channels * groups, what: `${channels} channels of the last axis of shape [${shape.join(', ')}] x ${groups} groups of ${size}` };
}

function checkSeries(c: Checker, v: unknown, path: string, length: number): void {
  if (!c.object(v, path)) return;
  for (const [k, s] of Object.entries(v)) c.numbers(s, `${path}.${k}`, length);
}

/**
 * Checks a sparsity payload (a parsed object or its JSON text).
 *
 * @example
 * const r = validateSparsityPayload(data);
 * if (!r.ok) console.error(r.errors.join('\n'));
 */
export function validateSparsityPayload(value: unknown): Validation<SparsityPayload> {
  const c = new Checker();
  const p = parse(value, c);
  if (c.errors.length || !c.object(p, 'payload')) return { ok: false, errors: c.errors };
  if (checkVersion(c, p, SPARSITY_VERSION, 'sparsity')) {
    if (c.array(p.layers, 'layers')) {
      if (p.layers.length === 0) c.fail('layers', 'is empty: add at least one layer');
      p.layers.forEach((l, i) => {
        const at = `layers[${i}]`;
        if (!c.object(l, at)) return;
        c.string(l.name, `${at}.name`);
        const shapeOk = checkShape(c, l.shape, `${at}.shape`);
        c.number(l.sparsity, `${at}.sparsity`, { min: 0, max: 1 });
        checkMask(c, l.mask, `${at}.mask`, shapeOk ? (l.shape as number[]) : undefined);
      });
    }
    if (p.history !== undefined && c.object(p.history, 'history')) {
      const h = p.history;
      if (c.numbers(h.steps, 'history.steps')) {
        const n = (h.steps as number[]).length;
        c.numbers(h.global, 'history.global', n);
        checkSeries(c, h.perLayer, 'history.perLayer', n);
        if (h.accuracy !== undefined) c.numbers(h.accuracy, 'history.accuracy', n);
      }
    }
  }
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, payload: p as unknown as SparsityPayload };
}

/**
 * Checks a quantization payload (a parsed object or its JSON text).
 *
 * @example
 * const r = validateQuantizationPayload(data);
 * if (r.ok) draw(r.payload);
 */
export function validateQuantizationPayload(value: unknown): Validation<QuantizationPayload> {
  const c = new Checker();
  const p = parse(value, c);
  if (c.errors.length || !c.object(p, 'payload')) return { ok: false, errors: c.errors };
  if (checkVersion(c, p, QUANTIZATION_VERSION, 'quantization')) {
    if (c.array(p.layers, 'layers')) {
      if (p.layers.length === 0) c.fail('layers', 'is empty: add at least one layer');
      p.layers.forEach((l, i) => {
        const at = `layers[${i}]`;
        if (!c.object(l, at)) return;
        c.string(l.name, `${at}.name`);
        const shapeOk = checkShape(c, l.shape, `${at}.shape`);
        let expected: { count: number; what: string } | null = null;
        if (c.object(l.format, `${at}.format`)) {
          c.number(l.format.bits, `${at}.format.bits`, { min: 1, max: 64, int: true });
          expected = expectedScales(c, shapeOk ? (l.shape as number[]) : undefined, l.format, `${at}.format`);
        }
        for (const k of ['scales', 'zeroPoints'] as const) {
          if (c.numbers(l[k], `${at}.${k}`) && expected && (l[k] as unknown[]).length !== expected.count) {
            const n = (l[k] as unknown[]).length;
            c.fail(`${at}.${k}`, `expected ${expected.count} value${expected.count === 1 ? '' : 's'} (${expected.what}), got ${n}: emit the payload with buildQuantizationPayload, or fix the layer's shape or format`);
          }
        }
        if (c.array(l.methods, `${at}.methods`)) {
          l.methods.forEach((m, k) => {
            const mat = `${at}.methods[${k}]`;
            if (!c.object(m, mat)) return;
            c.string(m.method, `${mat}.method`);
            c.histogram(m.errorHistogram, `${mat}.errorHistogram`);
            c.number(m.mse, `${mat}.mse`, { min: 0 });
            if (m.sqnr !== null) c.number(m.sqnr, `${mat}.sqnr`);
          });
        }
        if (l.activation !== undefined && c.object(l.activation, `${at}.activation`)) {
          const a = l.activation;
          for (const k of ['min', 'max', 'clipMin', 'clipMax']) c.number(a[k], `${at}.activation.${k}`);
          c.number(a.saturationRate, `${at}.activation.saturationRate`, { min: 0, max: 1 });
          c.histogram(a.histogram, `${at}.activation.histogram`);
        }
      });
    }
    if (p.qatTrace !== undefined && c.object(p.qatTrace, 'qatTrace') && c.numbers(p.qatTrace.steps, 'qatTrace.steps')) {
      checkSeries(c, p.qatTrace.mse, 'qatTrace.mse', (p.qatTrace.steps as number[]).length);
    }
    if (p.bitLayout !== undefined && c.array(p.bitLayout, 'bitLayout')) {
      p.bitLayout.forEach((b, i) => {
        const at = `bitLayout[${i}]`;
        if (!c.object(b, at)) return;
        c.string(b.format, `${at}.format`);
        for (const k of ['sign', 'exponent', 'mantissa']) {
          if (c.string(b[k], `${at}.${k}`) && !/^[01]*$/.test(b[k] as string)) c.fail(`${at}.${k}`, `expected a string of 0/1 bits, got ${describe(b[k])}`);
        }
      });
    }
  }
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, payload: p as unknown as QuantizationPayload };
}

/**
 * Validates by MIME type (any of PAYLOAD_MIMES: sparsity, quantization, roofline).
 *
 * @example
 * const r = validatePayload(SPARSITY_MIME, model.data[SPARSITY_MIME]);
 * const roof = validatePayload(ROOFLINE_MIME, bundle[ROOFLINE_MIME]); // Validation<RooflinePayload>
 */
export function validatePayload<M extends keyof PayloadByMime>(mime: M, value: unknown): Validation<PayloadByMime[M]>;
export function validatePayload(mime: string, value: unknown): Validation<Payload>;
export function validatePayload(mime: string, value: unknown): Validation<Payload> {
  if (mime === SPARSITY_MIME) return validateSparsityPayload(value);
  if (mime === QUANTIZATION_MIME) return validateQuantizationPayload(value);
  if (mime === ROOFLINE_MIME) return validateRooflinePayload(value);
  return { ok: false, errors: [`unknown MIME type '${mime}': expected one of ${PAYLOAD_MIMES.join(', ')}`] };
}

/**
 * Returns the payload or throws a PayloadError listing the problems.
 *
 * @example
 * const payload = assertSparsityPayload(JSON.parse(text));
 */
export function assertSparsityPayload(value: unknown): SparsityPayload {
  const r = validateSparsityPayload(value);
  if (!r.ok) throw new PayloadError('sparsity', r.errors);
  return r.payload;
}

/**
 * Returns the payload or throws a PayloadError listing the problems.
 *
 * @example
 * const payload = assertQuantizationPayload(JSON.parse(text));
 */
export function assertQuantizationPayload(value: unknown): QuantizationPayload {
  const r = validateQuantizationPayload(value);
  if (!r.ok) throw new PayloadError('quantization', r.errors);
  return r.payload;
}

/**
 * Checks a roofline payload (a parsed object or its JSON text): positive peak and bandwidth, and points with
 * a name, a group ('kernel' or 'layer') and a positive intensity.
 *
 * @example
 * const r = validateRooflinePayload(data);
 * if (r.ok) draw(rooflineFigure(r.payload));
 */
export function validateRooflinePayload(value: unknown): Validation<RooflinePayload> {
  const c = new Checker();
  const p = parse(value, c);
  if (c.errors.length || !c.object(p, 'payload')) return { ok: false, errors: c.errors };
  if (!checkVersion(c, p, ROOFLINE_VERSION, 'roofline')) return { ok: false, errors: c.errors };
  if (p.title !== undefined) c.string(p.title, 'title');
  c.number(p.peakGflops, 'peakGflops', { min: Number.MIN_VALUE });
  c.number(p.bandwidthGBs, 'bandwidthGBs', { min: Number.MIN_VALUE });
  for (const k of ['peakSource', 'bandwidthSource', 'byteModel']) if (p[k] !== undefined) c.string(p[k], k);
  if (c.array(p.points, 'points')) {
    p.points.forEach((pt, i) => {
      const path = `points[${i}]`;
      if (!c.object(pt, path)) return;
      c.string(pt.name, `${path}.name`);
      if (pt.group !== 'kernel' && pt.group !== 'layer') c.fail(`${path}.group`, `expected 'kernel' or 'layer', got ${describe(pt.group)}`);
      c.number(pt.intensity, `${path}.intensity`, { min: Number.MIN_VALUE });
      if (pt.gflops !== undefined) c.number(pt.gflops, `${path}.gflops`, { min: 0 });
      for (const k of ['flops', 'bytes']) if (pt[k] !== undefined) c.number(pt[k], `${path}.${k}`, { min: 0 });
      if (pt.series !== undefined) c.string(pt.series, `${path}.series`);
    });
  }
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, payload: p as unknown as RooflinePayload };
}

/**
 * Returns the payload or throws a PayloadError listing the problems.
 *
 * @example
 * const payload = assertRooflinePayload(JSON.parse(text));
 */
export function assertRooflinePayload(value: unknown): RooflinePayload {
  const r = validateRooflinePayload(value);
  if (!r.ok) throw new PayloadError('roofline', r.errors);
  return r.payload;
}

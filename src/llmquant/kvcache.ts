/**
 * KV-cache quantization: the keys and values a decoder keeps per token, [tokens, heads, headDim], stored in
 * int8 or int4. Granularity:
 * - 'token': one scale (and zero point) per token and head, over its headDim values (the usual per-token
 *   scheme: a new token is quantized on arrival);
 * - 'channel': one per head and channel, over the tokens (KIVI's choice for keys, whose outliers sit in
 *   fixed channels).
 * Codes are unsigned with the group.ts quantizer (asymmetric by default).
 */
import { groupParams, quantizeToCode } from './group';
import { packCodes } from './mx';

/** Options of {@link kvQuantize}. */
export interface KvQuantOptions {
  bits: 4 | 8;
  granularity?: 'token' | 'channel';
  symmetric?: boolean;
}

/** A quantized KV tensor [tokens, heads, headDim]. */
export interface KvQuantized {
  tokens: number;
  heads: number;
  headDim: number;
  bits: number;
  granularity: 'token' | 'channel';
  symmetric: boolean;
  codes: Uint8Array;
  /** [tokens, heads] for 'token', [heads, headDim] for 'channel'. */
  scales: Float32Array;
  zeros: Uint8Array;
}

/**
 * Quantize a KV tensor [tokens, heads, headDim] (row-major).
 *
 * @example
 * const k = kvQuantize(keys, 128, 4, 32, { bits: 4, granularity: 'channel' });
 * const k2 = kvDequantize(k);
 */
export function kvQuantize(kv: ArrayLike<number>, tokens: number, heads: number, headDim: number, opts: KvQuantOptions): KvQuantized {
  if (kv.length !== tokens * heads * headDim) throw new Error(`kvQuantize: ${kv.length} values for [${tokens}, ${heads}, ${headDim}]`);
  const granularity = opts.granularity ?? 'token';
  const symmetric = opts.symmetric ?? false;
  const codes = new Uint8Array(kv.length);
  const nGroups = granularity === 'token' ? tokens * heads : heads * headDim;
  const scales = new Float32Array(nGroups);
  const zeros = new Uint8Array(nGroups);
  const idx = (t: number, h: number, d: number) => (t * heads + h) * headDim + d;
  const members: number[] = [];
  const vals: number[] = [];
  for (let g = 0; g < nGroups; g++) {
    members.length = 0;
    if (granularity === 'token') {
      for (let d = 0; d < headDim; d++) members.push(g * headDim + d);
    } else {
      const h = Math.floor(g / headDim);
      const d = g % headDim;
      for (let t = 0; t < tokens; t++) members.push(idx(t, h, d));
    }
    vals.length = 0;
    for (const i of members) vals.push(kv[i]);
    const p = groupParams(vals, opts.bits, symmetric);
    const stored = { scale: Math.fround(p.scale), zero: p.zero };
    scales[g] = stored.scale;
    zeros[g] = p.zero;
    for (const i of members) codes[i] = quantizeToCode(kv[i], stored, opts.bits);
  }
  return { tokens, heads, headDim, bits: opts.bits, granularity, symmetric, codes, scales, zeros };
}

/**
 * Dequantize a KV tensor back to float32 [tokens, heads, headDim].
 *
 * @example
 * kvDequantize(kvQuantize(v, tokens, heads, headDim, { bits: 8 }));
 */
export function kvDequantize(q: KvQuantized): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let t = 0; t < q.tokens; t++) {
    for (let h = 0; h < q.heads; h++) {
      for (let d = 0; d < q.headDim; d++) {
        const i = (t * q.heads + h) * q.headDim + d;
        const g = q.granularity === 'token' ? t * q.heads + h : h * q.headDim + d;
        out[i] = q.scales[g] * (q.codes[i] - q.zeros[g]);
      }
    }
  }
  return out;
}

/**
 * Bytes of a quantized KV tensor: codes packed at `bits`, float32 scales, and zero points packed at `bits`
 * when asymmetric.
 *
 * @example
 * kvBytes(kvQuantize(v, 128, 4, 32, { bits: 4 })); // 8192 + 512 * 4 + 256
 */
export function kvBytes(q: KvQuantized, scaleBytes = 4): number {
  return packCodes(q.codes, q.bits).length + q.scales.length * scaleBytes + (q.symmetric ? 0 : Math.ceil((q.zeros.length * q.bits) / 8));
}

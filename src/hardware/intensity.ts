/**
 * Arithmetic intensity, FLOPs per byte moved, under one stated byte model: compulsory traffic, where every
 * input, weight and output tensor crosses the memory bus exactly once (read once, written once) as float32,
 * 4 bytes per value. It is the best any kernel can do (a kernel that re-reads data moves more and sits further
 * left), so it is the intensity that decides whether a layer can be compute-bound at all. Isomorphic.
 */
import { convFlops, convGeometry, type ConvShape } from './conv-shape';
import type { GemmShape } from './matrix';

/** Bytes per float32 value. */
export const BYTES_PER_FLOAT = 4;

export const BYTE_MODEL = 'compulsory traffic: each input, weight and output tensor read or written once, float32 (4 B per value)';

export interface Intensity {
  flops: number;
  bytes: number;
  /** flops / bytes. */
  intensity: number;
}

function of(flops: number, values: number): Intensity {
  const bytes = values * BYTES_PER_FLOAT;
  return { flops, bytes, intensity: flops / bytes };
}

/**
 * A matrix product: 2·M·N·K FLOPs over 4·(M·K + K·N + M·N) bytes.
 *
 * @example
 * gemmIntensity({ M: 512, N: 512, K: 512 }).intensity; // 85.33 FLOP/B
 */
export function gemmIntensity({ M, N, K }: GemmShape): Intensity {
  return of(2 * M * N * K, M * K + K * N + M * N);
}

/**
 * A convolution: its FLOPs over the input image, the kernel and the output, each moved once.
 *
 * @example
 * convIntensity({ batch: 1, height: 28, width: 28, inChannels: 1, outChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: 'same' });
 */
export function convIntensity(s: ConvShape): Intensity {
  const g = convGeometry(s);
  const values = s.batch * s.height * s.width * s.inChannels
    + s.kernelHeight * s.kernelWidth * s.inChannels * s.outChannels
    + s.batch * g.outHeight * g.outWidth * s.outChannels;
  return of(convFlops(s), values);
}

/**
 * A depthwise convolution (one k×k filter per channel, `multiplier` outputs per channel): 2·oh·ow·C·m·kh·kw
 * FLOPs per image.
 *
 * @example
 * depthwiseIntensity({ batch: 1, height: 14, width: 14, inChannels: 32, outChannels: 32, kernelHeight: 3, kernelWidth: 3, padding: 'same' });
 */
export function depthwiseIntensity(s: ConvShape): Intensity {
  const g = convGeometry(s);
  const mult = s.outChannels / s.inChannels;
  const flops = 2 * s.batch * g.outHeight * g.outWidth * s.outChannels * s.kernelHeight * s.kernelWidth;
  const values = s.batch * s.height * s.width * s.inChannels + s.kernelHeight * s.kernelWidth * s.inChannels * mult
    + s.batch * g.outHeight * g.outWidth * s.outChannels;
  return of(flops, values);
}

/**
 * A dense layer on a batch: a [batch, in] × [in, out] product (its bias, `out` values, counted as read once).
 *
 * @example
 * denseIntensity(1, 400, 120).intensity; // ≈ 0.5: one image reads every weight for one multiply-add
 */
export function denseIntensity(batch: number, inUnits: number, outUnits: number, bias = true): Intensity {
  const g = gemmIntensity({ M: batch, N: outUnits, K: inUnits });
  return of(g.flops, g.bytes / BYTES_PER_FLOAT + (bias ? outUnits : 0));
}

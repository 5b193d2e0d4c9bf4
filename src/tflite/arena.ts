/**
 * Tensor-arena estimate of a `.tflite` model: a liveness plan of its run-time tensors (each lives from the
 * operator that writes it to the last operator that reads it; graph inputs from the start, outputs to the
 * end) packed by a greedy first-fit, largest tensor first, as TFLite Micro's GreedyMemoryPlanner does. The
 * estimate counts activation memory only (no interpreter structures, no scratch buffers of kernels).
 */
import type { TfliteSummary } from './inspect';

/** One run-time tensor placed in the arena. */
export interface ArenaSlot {
  tensor: number;
  name: string;
  /** Size rounded up to the alignment. */
  bytes: number;
  offset: number;
  /** First and last operator index during which the tensor must be kept (-1: before the first operator). */
  first: number;
  last: number;
}

export interface ArenaPlan {
  /** Peak arena bytes of the plan (max of offset + bytes). */
  arenaBytes: number;
  /** The lower bound: the largest sum of live tensor sizes over the operators. */
  peakLiveBytes: number;
  slots: ArenaSlot[];
  alignment: number;
}

/**
 * Plans the tensor arena of a model read with `inspectTflite`.
 *
 * @example
 * const plan = planArena(inspectTflite(bytes)); plan.arenaBytes; // 5888 for int8 LeNet-5
 */
export function planArena(s: TfliteSummary, alignment = 16): ArenaPlan {
  const align = (n: number): number => Math.ceil(n / alignment) * alignment;
  const live = new Map<number, { first: number; last: number }>();
  const touch = (t: number, at: number): void => {
    if (t < 0 || s.tensors[t].constant) return;
    const r = live.get(t);
    if (!r) live.set(t, { first: at, last: at });
    else {
      r.first = Math.min(r.first, at);
      r.last = Math.max(r.last, at);
    }
  };
  for (const t of s.inputs) touch(t, -1);
  s.ops.forEach((o, i) => {
    o.inputs.forEach((t) => touch(t, i));
    o.outputs.forEach((t) => touch(t, i));
  });
  for (const t of s.outputs) touch(t, s.ops.length);
  const order = [...live.entries()].map(([tensor, r]) => ({ tensor, ...r, bytes: align(s.tensors[tensor].bytes) }))
    .sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const slots: ArenaSlot[] = [];
  for (const t of order) {
    const overlapping = slots.filter((p) => p.first <= t.last && t.first <= p.last).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of overlapping) {
      if (offset + t.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    slots.push({ tensor: t.tensor, name: s.tensors[t.tensor].name, bytes: t.bytes, offset, first: t.first, last: t.last });
  }
  let peakLive = 0;
  for (let i = -1; i <= s.ops.length; i++) peakLive = Math.max(peakLive, slots.filter((p) => p.first <= i && i <= p.last).reduce((a, p) => a + p.bytes, 0));
  return { arenaBytes: slots.reduce((m, p) => Math.max(m, p.offset + p.bytes), 0), peakLiveBytes: peakLive, slots, alignment };
}

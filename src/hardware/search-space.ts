/**
 * The search space of the hardware-aware architecture search: small MNIST CNNs made of 1-3 blocks and a dense
 * head. A block is a k×k convolution (stride 1, 'same', ReLU) — standard, or depthwise-separable (a k×k
 * depthwise convolution then a 1×1 pointwise one, both ReLU) — followed by a 2×2 max-pool ('same' padding:
 * 28 → 14 → 7 → 4). The head flattens, optionally applies one hidden dense layer (ReLU), and ends in 10 logits.
 * An Architecture is plain data, so it can be hashed, cached, sampled and mutated without building a model.
 * Isomorphic.
 */

export type BlockKind = 'standard' | 'separable';

/** One convolution block. */
export interface BlockSpec {
  kind: BlockKind;
  /** Output channels of the block. */
  filters: number;
  /** k of the k×k spatial convolution. */
  kernelSize: number;
}

/** A candidate network. */
export interface Architecture {
  blocks: BlockSpec[];
  /** Units of the hidden dense layer before the logits; 0 for none. */
  dense: number;
}

/** The choices the search draws from. */
export interface SearchSpace {
  kinds: readonly BlockKind[];
  filters: readonly number[];
  kernelSizes: readonly number[];
  /** Numbers of blocks allowed (1-3 by default). */
  depths: readonly number[];
  /** Hidden dense widths; 0 means logits straight after the flatten. */
  denseUnits: readonly number[];
}

/**
 * The default space: 5 widths (the widest does not fit 256 KB of SRAM in float32 at 28×28), kernels 3 and 5,
 * standard or separable, 1-3 blocks, head 0 / 32 / 128 units (wide heads on one block overflow 1 MB of flash).
 */
export const DEFAULT_SEARCH_SPACE: SearchSpace = {
  kinds: ['standard', 'separable'],
  filters: [8, 16, 32, 64, 96],
  kernelSizes: [3, 5],
  depths: [1, 2, 3],
  denseUnits: [0, 32, 128],
};

function pick<T>(choices: readonly T[], rand: () => number): T {
  if (choices.length === 0) throw new Error('search space: a list of choices is empty');
  return choices[Math.floor(rand() * choices.length)];
}

function randomBlock(space: SearchSpace, rand: () => number): BlockSpec {
  return { kind: pick(space.kinds, rand), filters: pick(space.filters, rand), kernelSize: pick(space.kernelSizes, rand) };
}

/**
 * One architecture drawn uniformly: a depth, then each block's kind, width and kernel independently, then a head.
 *
 * @example
 * const rand = mulberry32(1);
 * sampleArchitecture(DEFAULT_SEARCH_SPACE, rand); // { blocks: [{ kind: 'separable', filters: 32, kernelSize: 5 }, ...], dense: 32 }
 */
export function sampleArchitecture(space: SearchSpace, rand: () => number): Architecture {
  const depth = pick(space.depths, rand);
  const blocks = Array.from({ length: depth }, () => randomBlock(space, rand));
  return { blocks, dense: pick(space.denseUnits, rand) };
}

/**
 * A copy of `arch` with one change: a block's kind, width or kernel, a block added or removed (within the
 * allowed depths), or the head's width. The change always differs from the original when the space allows one.
 *
 * @example
 * mutateArchitecture({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 3 }], dense: 0 }, DEFAULT_SEARCH_SPACE, mulberry32(2));
 * // e.g. { blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }], dense: 0 }
 */
export function mutateArchitecture(arch: Architecture, space: SearchSpace, rand: () => number): Architecture {
  const key = architectureLabel(arch);
  for (let attempt = 0; attempt < 32; attempt++) {
    const child: Architecture = { blocks: arch.blocks.map((b) => ({ ...b })), dense: arch.dense };
    const i = Math.floor(rand() * child.blocks.length);
    switch (Math.floor(rand() * 6)) {
      case 0: child.blocks[i].kind = pick(space.kinds, rand); break;
      case 1: child.blocks[i].filters = pick(space.filters, rand); break;
      case 2: child.blocks[i].kernelSize = pick(space.kernelSizes, rand); break;
      case 3: if (space.depths.includes(child.blocks.length + 1)) child.blocks.splice(i + 1, 0, randomBlock(space, rand)); break;
      case 4: if (space.depths.includes(child.blocks.length - 1)) child.blocks.splice(i, 1); break;
      default: child.dense = pick(space.denseUnits, rand);
    }
    if (architectureLabel(child) !== key) return child;
  }
  return { blocks: arch.blocks.map((b) => ({ ...b })), dense: arch.dense }; // a space with a single point
}

/**
 * A short readable name: one token per block (S standard / D depthwise-separable, width, k), then the head.
 *
 * @example
 * architectureLabel({ blocks: [{ kind: 'standard', filters: 16, kernelSize: 5 }, { kind: 'separable', filters: 32, kernelSize: 3 }], dense: 64 });
 * // 'S16k5-D32k3-fc64'
 */
export function architectureLabel(arch: Architecture): string {
  const blocks = arch.blocks.map((b) => `${b.kind === 'standard' ? 'S' : 'D'}${b.filters}k${b.kernelSize}`);
  return [...blocks, arch.dense > 0 ? `fc${arch.dense}` : 'fc0'].join('-');
}

/**
 * Throws unless the architecture is well formed (1+ blocks, positive whole widths and kernels, dense ≥ 0).
 *
 * @example
 * checkArchitecture({ blocks: [], dense: 0 }); // throws: an architecture needs at least one block
 */
export function checkArchitecture(arch: Architecture): void {
  if (arch.blocks.length === 0) throw new Error('an architecture needs at least one block');
  arch.blocks.forEach((b, i) => {
    if (b.kind !== 'standard' && b.kind !== 'separable') throw new Error(`block ${i + 1}: kind must be 'standard' or 'separable', got '${String(b.kind)}'`);
    for (const [name, v] of [['filters', b.filters], ['kernelSize', b.kernelSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`block ${i + 1}: ${name} must be a positive whole number, got ${v}`);
    }
  });
  if (!Number.isInteger(arch.dense) || arch.dense < 0) throw new Error(`dense must be a whole number >= 0, got ${arch.dense}`);
}

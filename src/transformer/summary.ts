/**
 * Parameters and multiply-accumulates per token of a tinyGpt, from its config alone (isomorphic, no tensors),
 * row by row in the order of the forward pass.
 *
 * Counted MACs: each linear layer in * out per token (biases, LayerNorms, softmax and activations are not
 * MACs); the attention products q k^T and p v, dModel * keys each per token and layer, where keys is the
 * context length for 'dense' (what the forward pass computes: the full t x t score matrix, masked) or the
 * average (t + 1) / 2 of the keys a causal token really sees for 'causal'. The token embedding counts 0: it is
 * a table lookup (the forward pass multiplies a one-hot matrix, because wasm has no gather gradient, but any
 * deployment gathers).
 */
import { TinyGptConfig, gptParameterShapes } from './config';

/** One row of a {@link GptSummary}. */
export interface GptSummaryRow {
  /** The parameter's name (see TinyGpt.weightNames), or block{i}.attn.scores / .mix for the attention products. */
  name: string;
  kind: 'embedding' | 'layernorm' | 'linear' | 'bias' | 'attention';
  /** The parameter's shape ([] for the attention products, which have none). */
  shape: number[];
  params: number;
  macsPerToken: number;
}

/** Parameters, MACs per token and storage of a tinyGpt. */
export interface GptSummary {
  rows: GptSummaryRow[];
  totalParams: number;
  totalMacsPerToken: number;
  /** Of which in the linear layers (the weights that quantization replaces). */
  linearMacsPerToken: number;
  attention: 'dense' | 'causal';
  /** Parameters at `bitWidth` bits each. */
  totalBytes: number;
  bitWidth: number;
}

/** Options of {@link gptSummary}. */
export interface GptSummaryOptions {
  /** Attention MACs as computed ('dense', default) or as a causal token needs them ('causal'). */
  attention?: 'dense' | 'causal';
  /** Context length the attention MACs are counted at; default the config's. */
  contextLength?: number;
  /** Bits per parameter for totalBytes; default 32. */
  bitWidth?: number;
}

/**
 * The summary of a config: one row per parameter plus the two attention products of each block.
 *
 * @example
 * const s = gptSummary(model.config);
 * s.totalParams; // 825919 for the default shape at 63 tokens
 * s.totalMacsPerToken; // 925568 = linear 794496 + attention 4 layers * 2 * 128 * 128
 */
export function gptSummary(config: TinyGptConfig, opts: GptSummaryOptions = {}): GptSummary {
  const attention = opts.attention ?? 'dense';
  const t = opts.contextLength ?? config.contextLength;
  const bitWidth = opts.bitWidth ?? 32;
  if (!(bitWidth > 0 && bitWidth <= 64)) throw new RangeError(`bitWidth must be in 1..64, got ${bitWidth}`);
  if (!(Number.isInteger(t) && t >= 1)) throw new RangeError(`contextLength must be a positive whole number, got ${t}`);
  const keys = attention === 'dense' ? t : (t + 1) / 2;
  const linears = new Set<string>(['head']);
  for (let i = 0; i < config.nLayers; i++) for (const l of ['attn.qkv', 'attn.proj', 'mlp.fc1', 'mlp.fc2']) linears.add(`block${i}.${l}`);
  const rows: GptSummaryRow[] = [];
  for (const p of gptParameterShapes(config)) {
    const params = p.shape.reduce((a, b) => a * b, 1);
    const kind: GptSummaryRow['kind'] = p.name.startsWith('embed.') ? 'embedding' : linears.has(p.name) ? 'linear' : p.name.endsWith('.bias') ? 'bias' : 'layernorm';
    rows.push({ name: p.name, kind, shape: p.shape, params, macsPerToken: kind === 'linear' ? params : 0 });
    const block = /^block(\d+)\.attn\.qkv\.bias$/.exec(p.name);
    if (block) {
      // the attention products sit between the qkv projection and the output projection
      for (const product of ['scores', 'mix']) rows.push({ name: `block${block[1]}.attn.${product}`, kind: 'attention', shape: [], params: 0, macsPerToken: config.dModel * keys });
    }
  }
  const sum = (f: (r: GptSummaryRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const totalParams = sum((r) => r.params);
  return {
    rows,
    totalParams,
    totalMacsPerToken: sum((r) => r.macsPerToken),
    linearMacsPerToken: sum((r) => (r.kind === 'linear' ? r.macsPerToken : 0)),
    attention,
    totalBytes: Math.ceil((totalParams * bitWidth) / 8),
    bitWidth,
  };
}

/**
 * A fixed-width text table of a summary (biases folded into their layer's row), for notebooks.
 *
 * @example
 * console.log(formatGptSummary(gptSummary(model.config)));
 */
export function formatGptSummary(s: GptSummary): string {
  const merged: { name: string; kind: string; shape: string; params: number; macs: number }[] = [];
  for (const r of s.rows) {
    const last = merged[merged.length - 1];
    if (r.kind === 'bias' && last && `${last.name}.bias` === r.name) last.params += r.params;
    else merged.push({ name: r.name, kind: r.kind, shape: r.shape.join('x'), params: r.params, macs: r.macsPerToken });
  }
  const table = [['name', 'kind', 'shape', 'params', 'MACs/token'], ...merged.map((r) => [r.name, r.kind, r.shape, String(r.params), String(r.macs)])];
  table.push(['total', '', '', String(s.totalParams), String(s.totalMacsPerToken)]);
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  return table.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** One row of {@link gptLayerSummary}: the shape of src/models/summary.ts's LayerSummary (structurally the same). */
export interface GptLayerRow {
  name: string;
  type: string;
  /** Features this row produces per token: [out] for a linear layer, [dModel] for an embedding or LayerNorm, [keys] for attention scores. */
  outputShape: number[];
  params: number;
  /** Multiply-accumulates per token (dense attention at the full context). */
  macs: number;
  bytes: number;
}

/** A tinyGpt summary in the form `summarize` returns for every zoo model (src/models/summary.ts's ModelSummary). */
export interface GptLayerSummary {
  name: string;
  layers: GptLayerRow[];
  totalParams: number;
  totalMacs: number;
  totalBytes: number;
  bitWidth: number;
}

const ROW_TYPE: Record<GptSummaryRow['kind'], string> = { embedding: 'Embedding', layernorm: 'LayerNorm', linear: 'Linear', bias: 'Bias', attention: 'Attention' };

/**
 * The rows `summarize(model)` shows for a tinyGpt: one per layer (a linear layer's bias and a LayerNorm's
 * gain and shift folded into it), MACs per token with dense attention at the config's context length, bytes
 * at `bitWidth` bits per parameter. The totals equal {@link gptSummary}'s.
 *
 * @example
 * gptLayerSummary(model.config).layers[2]; // { name: 'block0.ln1', type: 'LayerNorm', outputShape: [128], params: 256, macs: 0, bytes: 1024 }
 */
export function gptLayerSummary(config: TinyGptConfig, bitWidth = 32): GptLayerSummary {
  const s = gptSummary(config, { bitWidth });
  const layers: GptLayerRow[] = [];
  for (const r of s.rows) {
    const last = layers[layers.length - 1];
    const layerName = r.kind === 'layernorm' ? r.name.replace(/\.(gamma|beta)$/, '') : r.name;
    if (last && ((r.kind === 'bias' && `${last.name}.bias` === r.name) || (r.kind === 'layernorm' && last.name === layerName))) {
      last.params += r.params;
      continue;
    }
    const outputShape = r.kind === 'linear' ? [r.shape[0]] : r.kind === 'attention' ? [r.name.endsWith('.scores') ? config.contextLength : config.dModel] : [config.dModel];
    layers.push({ name: layerName, type: ROW_TYPE[r.kind], outputShape, params: r.params, macs: r.macsPerToken, bytes: 0 });
  }
  for (const l of layers) l.bytes = Math.ceil((l.params * bitWidth) / 8);
  return { name: 'tinyGpt', layers, totalParams: s.totalParams, totalMacs: s.totalMacsPerToken, totalBytes: layers.reduce((a, l) => a + l.bytes, 0), bitWidth };
}

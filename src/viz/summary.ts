/**
 * Static fallbacks of the payloads: a plain-text summary and an HTML table, carried in every display bundle
 * next to the custom MIME type so a notebook reads well in plain Jupyter, on GitHub or in static site pages.
 */
import type { Table } from './figure';
import type { QuantizationPayload, RooflinePayload, SparsityPayload } from './payloads';
import { formatLabel, quantTable } from './quantization';
import { attainable, ridgeIntensity, rooflineSvg } from './roofline';

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * escapeHtml('<a & b>'); // '&lt;a &amp; b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A table as HTML (`<table class="optilab-table">`), every cell escaped.
 *
 * @example
 * tableHtml({ columns: ['a'], rows: [[1]] }); // '<table class="optilab-table">...'
 */
export function tableHtml(table: Table, caption?: string): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`).join('\n');
  const cap = caption ? `<caption>${escapeHtml(caption)}</caption>` : '';
  return `<table class="optilab-table">${cap}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function weights(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The per-layer sparsity table (layer, shape, weights, pruned, kept, mask view). */
export function sparsityTable(payload: SparsityPayload): Table {
  return {
    columns: ['layer', 'shape', 'weights', 'pruned', 'kept', 'mask view'],
    rows: payload.layers.map((l) => {
      const n = weights(l.shape);
      const pruned = Math.round(l.sparsity * n);
      return [l.name, `[${l.shape.join('×')}]`, n, pct(l.sparsity), n - pruned,
        l.mask.kind === 'bits' ? `exact ${l.mask.rows}×${l.mask.cols}` : `density ${l.mask.rows}×${l.mask.cols}`];
    }),
  };
}

/** Global sparsity: pruned weights / all weights over the payload's layers. */
export function globalSparsity(payload: SparsityPayload): number {
  let pruned = 0;
  let total = 0;
  for (const l of payload.layers) {
    const n = weights(l.shape);
    pruned += l.sparsity * n;
    total += n;
  }
  return total ? pruned / total : 0;
}

/**
 * A readable plain-text summary of a sparsity payload (the bundle's `text/plain`).
 *
 * @example
 * sparsityText(payload); // 'Sparsity (lenet5): 80.0% of 61,706 weights pruned\n  conv1/kernel ...'
 */
export function sparsityText(payload: SparsityPayload): string {
  const total = payload.layers.reduce((s, l) => s + weights(l.shape), 0);
  const head = `Sparsity${payload.model ? ` (${payload.model})` : ''}${payload.title ? ` — ${payload.title}` : ''}: ` +
    `${pct(globalSparsity(payload))} of ${total.toLocaleString('en-US')} weights pruned`;
  const width = Math.max(...payload.layers.map((l) => l.name.length));
  const lines = payload.layers.map((l) => `  ${l.name.padEnd(width)}  [${l.shape.join('×')}]  ${pct(l.sparsity).padStart(6)} pruned`);
  const h = payload.history;
  if (h && h.steps.length) lines.push(`  history: ${h.steps.length} steps, global ${pct(h.global[0])} -> ${pct(h.global[h.global.length - 1])}`);
  return [head, ...lines].join('\n');
}

/**
 * The static HTML of a sparsity payload (the bundle's `text/html`): the per-layer table.
 *
 * @example
 * sparsityHtml(payload); // '<div class="optilab-static">...<table ...'
 */
export function sparsityHtml(payload: SparsityPayload): string {
  const cap = `Sparsity${payload.model ? ` of ${payload.model}` : ''}: ${pct(globalSparsity(payload))} pruned overall`;
  return `<div class="optilab-static">${tableHtml(sparsityTable(payload), cap)}</div>`;
}

/**
 * A readable plain-text summary of a quantization payload (the bundle's `text/plain`).
 *
 * @example
 * quantizationText(payload); // 'Quantization (lenet5): 5 layers\n  conv1/kernel int8 symmetric per-channel ...'
 */
export function quantizationText(payload: QuantizationPayload): string {
  const head = `Quantization${payload.model ? ` (${payload.model})` : ''}${payload.title ? ` — ${payload.title}` : ''}: ${payload.layers.length} layers`;
  const width = Math.max(...payload.layers.map((l) => l.name.length));
  const lines = payload.layers.map((l) => {
    const best = [...l.methods].sort((a, b) => (b.sqnr ?? -Infinity) - (a.sqnr ?? -Infinity))[0];
    const sat = l.activation ? `, ${(l.activation.saturationRate * 100).toFixed(2)}% act. saturated` : '';
    return `  ${l.name.padEnd(width)}  ${formatLabel(l.format)}` +
      (best ? `, best ${best.method}: SQNR ${best.sqnr?.toFixed(2)} dB, MSE ${best.mse.toExponential(2)}` : '') + sat;
  });
  if (payload.qatTrace) lines.push(`  QAT trace: ${payload.qatTrace.steps.length} steps`);
  if (payload.bitLayout?.length) lines.push(`  bit layout: ${payload.bitLayout.length} values`);
  return [head, ...lines].join('\n');
}

/**
 * The static HTML of a quantization payload (the bundle's `text/html`): the MSE / SQNR table.
 *
 * @example
 * quantizationHtml(payload); // '<div class="optilab-static"><table ...'
 */
export function quantizationHtml(payload: QuantizationPayload): string {
  const cap = `Quantization error${payload.model ? ` of ${payload.model}` : ''} (MSE, SQNR per layer and method)`;
  return `<div class="optilab-static">${tableHtml(quantTable(payload), cap)}</div>`;
}

/**
 * The roofline's points as a table: name, kind, intensity, measured GFLOP/s (kernels), the roof at that
 * intensity and whether it is memory- or compute-bound there.
 *
 * @example
 * rooflineTable(payload).columns; // ['point', 'kind', 'FLOP/B', 'measured GFLOP/s', 'roof GFLOP/s', 'bound']
 */
export function rooflineTable(payload: RooflinePayload): Table {
  const ridge = ridgeIntensity(payload);
  return {
    columns: ['point', 'kind', 'FLOP/B', 'measured GFLOP/s', 'roof GFLOP/s', 'bound'],
    rows: payload.points.map((q) => [
      q.series ? `${q.series} ${q.name}` : q.name, q.group, q.intensity.toFixed(2), q.gflops !== undefined ? q.gflops.toFixed(2) : '-',
      attainable(payload, q.intensity).toFixed(2), q.intensity < ridge ? 'memory' : 'compute',
    ]),
  };
}

/**
 * A readable plain-text summary of a roofline payload (the bundle's `text/plain`).
 *
 * @example
 * rooflineText(payload); // 'Roofline of this machine: peak 66.80 GFLOP/s, 37.60 GB/s, ridge 1.78 FLOP/B, 3 kernels, 12 layers'
 */
export function rooflineText(payload: RooflinePayload): string {
  const kernels = payload.points.filter((q) => q.group === 'kernel');
  const layers = payload.points.length - kernels.length;
  const head = `${payload.title ?? 'Roofline'}: peak ${payload.peakGflops.toFixed(2)} GFLOP/s, ${payload.bandwidthGBs.toFixed(2)} GB/s, ` +
    `ridge ${ridgeIntensity(payload).toFixed(2)} FLOP/B, ${kernels.length} kernels, ${layers} layers`;
  const width = Math.max(0, ...kernels.map((k) => k.name.length));
  const lines = kernels.map((k) => `  ${k.name.padEnd(width)}  ${k.intensity.toFixed(2).padStart(8)} FLOP/B  ` +
    `${k.gflops !== undefined ? `${k.gflops.toFixed(2)} of ${attainable(payload, k.intensity).toFixed(2)} GFLOP/s` : `roof ${attainable(payload, k.intensity).toFixed(2)} GFLOP/s`}`);
  return [head, ...lines].join('\n');
}

/**
 * The static HTML of a roofline payload (the bundle's `text/html`): the SVG roofline and the table of points.
 *
 * @example
 * rooflineHtml(payload); // '<div class="optilab-static"><svg ...</svg><table ...'
 */
export function rooflineHtml(payload: RooflinePayload): string {
  const cap = `Points of the roofline (ridge at ${ridgeIntensity(payload).toFixed(2)} FLOP/B)`;
  return `<div class="optilab-static">${rooflineSvg(payload)}${tableHtml(rooflineTable(payload), cap)}</div>`;
}

/**
 * Quantization figures (pure: payload -> plotly figure spec): error histograms with several methods
 * overlaid, the MSE / SQNR table and SQNR bars, the activation range with saturated values standing out,
 * the QAT MSE trace, and the float bit-layout view.
 */
import type { FigureSpec, NamedFigure, Table, Trace } from './figure';
import type { BitLayoutEntry, Histogram, QuantFormat, QuantizationPayload, QuantLayer } from './payloads';
import type { FigureOptions } from './sparsity';
import { baseLayout, legendOnTop, themeColors } from './theme';

function pickLayer(layers: QuantLayer[], which: number | string): QuantLayer {
  const layer = typeof which === 'number' ? layers[which] : layers.find((l) => l.name === which);
  if (!layer) {
    throw new Error(`no layer ${typeof which === 'number' ? `#${which}` : `'${which}'`}; layers: ${layers.map((l) => l.name).join(', ')}`);
  }
  return layer;
}

function centers(h: Histogram): number[] {
  return h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
}

function widths(h: Histogram): number[] {
  return h.counts.map((_, i) => h.edges[i + 1] - h.edges[i]);
}

/** Short text of a format, e.g. 'int8 symmetric per-channel'. */
export function formatLabel(f: QuantFormat): string {
  const base = f.scheme === 'float' ? `fp${f.bits}` : `${f.signed ? 'int' : 'uint'}${f.bits}`;
  const gran = f.granularity === 'tensor' ? 'per-tensor' : f.granularity === 'channel' ? 'per-channel' : `per-group(${f.groupSize ?? '?'})`;
  return `${base} ${f.scheme} ${gran}`;
}

function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/**
 * Histograms of the quantization error (dequantized - original) of one layer, one semi-transparent bar
 * trace per calibration method, overlaid so their spreads compare directly.
 *
 * @example
 * const fig = errorHistogramFigure(payload, 'dense_1/kernel', { theme: 'light' });
 */
export function errorHistogramFigure(payload: QuantizationPayload, which: number | string = 0, opts: FigureOptions = {}): FigureSpec {
  const layer = pickLayer(payload.layers, which);
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const data: Trace[] = layer.methods.map((m, i) => ({
    type: 'bar',
    name: `${m.method} (MSE ${num(m.mse)})`,
    x: centers(m.errorHistogram),
    y: m.errorHistogram.counts,
    width: widths(m.errorHistogram),
    opacity: 0.55,
    marker: { color: c.series[i % c.series.length], line: { width: 0 } },
    customdata: m.errorHistogram.counts.map((_, k) => [m.errorHistogram.edges[k], m.errorHistogram.edges[k + 1]]),
    hovertemplate: `${m.method}: error in [%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{y:,} values<extra></extra>`,
  }));
  return {
    data,
    layout: baseLayout(theme, `Quantization error — ${layer.name} (${formatLabel(layer.format)})`, {
      barmode: 'overlay',
      bargap: 0,
      xaxis: { title: { text: 'error (dequantized − original)' } },
      yaxis: { title: { text: 'count' } },
      legend: legendOnTop(theme),
    }),
  };
}

/**
 * The MSE / SQNR table: one row per layer and method, with the format, scale count and activation
 * saturation.
 *
 * @example
 * const t = quantTable(payload); // t.columns[0] === 'layer'
 */
export function quantTable(payload: QuantizationPayload): Table {
  const rows: Table['rows'] = [];
  for (const l of payload.layers) {
    for (const m of l.methods) {
      rows.push([
        l.name,
        formatLabel(l.format),
        m.method,
        num(m.mse),
        num(m.sqnr, 4),
        l.scales.length,
        l.activation ? `${(l.activation.saturationRate * 100).toFixed(2)}%` : '—',
      ]);
    }
  }
  return { columns: ['layer', 'format', 'method', 'MSE', 'SQNR (dB)', 'scales', 'act. saturated'], rows };
}

/**
 * Grouped bars of SQNR (dB) per layer, one trace per method (higher is better); MSE in the hover text.
 *
 * @example
 * const fig = sqnrFigure(payload);
 */
export function sqnrFigure(payload: QuantizationPayload, opts: FigureOptions = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const methods = [...new Set(payload.layers.flatMap((l) => l.methods.map((m) => m.method)))];
  const names = payload.layers.map((l) => l.name);
  const data: Trace[] = methods.map((method, i) => {
    const found = payload.layers.map((l) => l.methods.find((m) => m.method === method));
    return {
      type: 'bar',
      name: method,
      x: names,
      y: found.map((m) => (m ? m.sqnr : null)),
      customdata: found.map((m) => (m ? m.mse : null)),
      marker: { color: c.series[i % c.series.length] },
      hovertemplate: `%{x} · ${method}: SQNR %{y:.2f} dB, MSE %{customdata:.3g}<extra></extra>`,
    };
  });
  return {
    data,
    layout: baseLayout(theme, 'SQNR per layer and method (higher is better)', {
      barmode: 'group',
      xaxis: { title: { text: 'layer' }, type: 'category' },
      yaxis: { title: { text: 'SQNR (dB)' } },
      legend: legendOnTop(theme),
    }),
  };
}

/**
 * Histogram of one layer's activations, with the bins outside the clipping range [clipMin, clipMax] in the
 * alert colour, the clip limits as dashed lines and the saturation rate in the title. Undefined when the
 * layer has no activation statistics.
 *
 * @example
 * const fig = activationRangeFigure(payload, 0, { theme: 'dark' });
 */
export function activationRangeFigure(payload: QuantizationPayload, which: number | string = 0, opts: FigureOptions = {}): FigureSpec | undefined {
  const layer = pickLayer(payload.layers, which);
  const a = layer.activation;
  if (!a) return undefined;
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const h = a.histogram;
  const x = centers(h);
  const outside = h.counts.map((_, i) => h.edges[i + 1] <= a.clipMin || h.edges[i] >= a.clipMax);
  const split = (keep: boolean) => h.counts.map((n, i) => (outside[i] === keep ? n : 0));
  const common = { type: 'bar' as const, x, width: widths(h), marker: { line: { width: 0 } } };
  const data: Trace[] = [
    { ...common, name: 'inside clip range', y: split(false), marker: { color: c.series[0] }, hovertemplate: '%{x:.3g}: %{y:,} values<extra>in range</extra>' },
    { ...common, name: 'saturated (clipped)', y: split(true), marker: { color: c.alert }, hovertemplate: '%{x:.3g}: %{y:,} values<extra>saturated</extra>' },
  ];
  const line = (v: number) => ({ type: 'line', xref: 'x', yref: 'paper', x0: v, x1: v, y0: 0, y1: 1, line: { color: c.alert, dash: 'dash', width: 2 } });
  return {
    data,
    layout: baseLayout(theme, `Activation range — ${layer.name}: ${(a.saturationRate * 100).toFixed(2)}% saturated`, {
      barmode: 'stack',
      bargap: 0,
      shapes: [line(a.clipMin), line(a.clipMax)],
      annotations: [
        { x: a.clipMin, y: 1, xref: 'x', yref: 'paper', text: `clip ${num(a.clipMin)}`, showarrow: false, yanchor: 'bottom', font: { color: c.alert } },
        { x: a.clipMax, y: 1, xref: 'x', yref: 'paper', text: `clip ${num(a.clipMax)}`, showarrow: false, yanchor: 'bottom', font: { color: c.alert } },
      ],
      xaxis: { title: { text: `activation value (observed ${num(a.min)} … ${num(a.max)})` } },
      // Log counts: the few saturated values stay visible next to the bulk of the distribution.
      yaxis: { title: { text: 'count (log)' }, type: 'log' },
      legend: legendOnTop(theme),
    }),
  };
}

/**
 * Saturation overview across layers: each layer's observed activation range as a thin bar, its clipping
 * range as a thick bar, and the parts of the observed range beyond the clip limits in the alert colour.
 * Undefined when no layer has activation statistics.
 *
 * @example
 * const fig = saturationFigure(payload);
 */
export function saturationFigure(payload: QuantizationPayload, opts: FigureOptions = {}): FigureSpec | undefined {
  const layers = payload.layers.filter((l) => l.activation);
  if (layers.length === 0) return undefined;
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const names = layers.map((l) => `${l.name} (${(l.activation!.saturationRate * 100).toFixed(2)}%)`);
  const acts = layers.map((l) => l.activation!);
  const bar = (name: string, lo: number[], hi: number[], color: string, width: number): Trace => ({
    type: 'bar',
    orientation: 'h',
    name,
    y: names,
    base: lo,
    x: hi.map((h, i) => h - lo[i]),
    width,
    marker: { color, line: { width: 0 } },
    customdata: lo.map((l, i) => [l, hi[i]]),
    hovertemplate: `%{y} ${name}: [%{customdata[0]:.3g}, %{customdata[1]:.3g}]<extra></extra>`,
  });
  return {
    data: [
      bar('clip range', acts.map((a) => a.clipMin), acts.map((a) => a.clipMax), c.series[0], 0.6),
      bar('saturated below', acts.map((a) => Math.min(a.min, a.clipMin)), acts.map((a) => a.clipMin), c.alert, 0.25),
      bar('saturated above', acts.map((a) => a.clipMax), acts.map((a) => Math.max(a.max, a.clipMax)), c.alert, 0.25),
    ],
    layout: baseLayout(theme, 'Activation ranges: clip range vs observed (red = saturated)', {
      barmode: 'overlay',
      xaxis: { title: { text: 'activation value' } },
      yaxis: { autorange: 'reversed', type: 'category' },
      legend: legendOnTop(theme),
      height: Math.max(220, 80 + 40 * layers.length),
    }),
  };
}

/**
 * Weight quantization MSE per layer over training steps (log scale), as recorded during quantization-aware
 * training or fine-tuning. Undefined without `qatTrace`.
 *
 * @example
 * const fig = qatTraceFigure(payload);
 */
export function qatTraceFigure(payload: QuantizationPayload, opts: FigureOptions = {}): FigureSpec | undefined {
  const t = payload.qatTrace;
  if (!t) return undefined;
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const data: Trace[] = Object.entries(t.mse).map(([name, ys], i) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x: t.steps,
    y: ys,
    line: { color: c.series[i % c.series.length] },
    hovertemplate: `step %{x} · ${name}: MSE %{y:.3g}<extra></extra>`,
  }));
  return {
    data,
    layout: baseLayout(theme, 'Weight quantization MSE over training steps', {
      xaxis: { title: { text: 'training step' } },
      yaxis: { title: { text: 'MSE' }, type: 'log' },
      legend: legendOnTop(theme),
    }),
  };
}

const FIELD = { sign: 0, exponent: 1, mantissa: 2 } as const;

/**
 * The float bit-layout view: one row per value and format, one cell per bit, coloured by field (sign,
 * exponent, mantissa) and labelled with the bit; the hover shows the field and the stored value.
 * Undefined without `bitLayout`.
 *
 * @example
 * const fig = bitLayoutFigure(payload);
 */
export function bitLayoutFigure(payload: QuantizationPayload, opts: FigureOptions = {}): FigureSpec | undefined {
  const entries: BitLayoutEntry[] | undefined = payload.bitLayout;
  if (!entries || entries.length === 0) return undefined;
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const width = Math.max(...entries.map((e) => e.sign.length + e.exponent.length + e.mantissa.length));
  const labels = entries.map((e, i) => `${i + 1}. ${e.format} ${num(e.value, 6)}`);
  const z: (number | null)[][] = [];
  const text: string[][] = [];
  const hover: string[][] = [];
  for (const e of entries) {
    const fields: [keyof typeof FIELD, string][] = [['sign', e.sign], ['exponent', e.exponent], ['mantissa', e.mantissa]];
    const zr: (number | null)[] = [];
    const tr: string[] = [];
    const hr: string[] = [];
    for (const [field, bits] of fields) {
      for (let k = 0; k < bits.length; k++) {
        zr.push(FIELD[field]);
        tr.push(bits[k]);
        hr.push(`${field} bit ${k} = ${bits[k]} · stores ${num(e.stored, 8)}`);
      }
    }
    while (zr.length < width) {
      zr.push(null);
      tr.push('');
      hr.push('');
    }
    z.push(zr);
    text.push(tr);
    hover.push(hr);
  }
  return {
    data: [
      {
        type: 'heatmap',
        name: 'bits',
        z,
        y: labels,
        x: Array.from({ length: width }, (_, i) => i),
        text,
        customdata: hover,
        texttemplate: '%{text}',
        textfont: { color: c.text },
        zmin: 0,
        zmax: 2,
        colorscale: [[0, c.sign], [0.33, c.sign], [0.34, c.exponent], [0.66, c.exponent], [0.67, c.mantissa], [1, c.mantissa]],
        showscale: false,
        xgap: 1,
        ygap: 2,
        hovertemplate: '%{y}: %{customdata}<extra></extra>',
      },
    ],
    layout: baseLayout(theme, 'Float bit layout: sign | exponent | mantissa', {
      xaxis: { title: { text: 'bit (most significant first)' }, showgrid: false, zeroline: false, dtick: 4 },
      yaxis: { autorange: 'reversed', showgrid: false, type: 'category' },
      height: Math.max(200, 90 + 34 * entries.length),
    }),
  };
}

/**
 * Every quantization figure of a payload, in display order: SQNR bars, error histograms of `layer`,
 * activation range of `layer` and the saturation overview (when present), QAT trace, bit layout.
 *
 * @example
 * const figs = quantizationFigures(payload, { theme: 'dark', layer: 'dense_1/kernel' });
 */
export function quantizationFigures(payload: QuantizationPayload, opts: FigureOptions & { layer?: number | string } = {}): NamedFigure[] {
  const which = opts.layer ?? 0;
  const out: NamedFigure[] = [
    { id: 'quant-sqnr', title: 'SQNR per layer', figure: sqnrFigure(payload, opts) },
    { id: 'quant-error', title: 'Error histograms', figure: errorHistogramFigure(payload, which, opts) },
  ];
  const act = activationRangeFigure(payload, which, opts);
  if (act) out.push({ id: 'quant-activation', title: 'Activation range', figure: act });
  const sat = saturationFigure(payload, opts);
  if (sat) out.push({ id: 'quant-saturation', title: 'Saturation', figure: sat });
  const qat = qatTraceFigure(payload, opts);
  if (qat) out.push({ id: 'quant-qat', title: 'QAT trace', figure: qat });
  const bits = bitLayoutFigure(payload, opts);
  if (bits) out.push({ id: 'quant-bits', title: 'Bit layout', figure: bits });
  return out;
}

/**
 * Figures, tables and in-prose numbers of the transformer page, read only from bench/results/transformer.json
 * (written by `npm run bench -- transformer`, bench/transformer.ts; copied into src/generated/bench.json at build
 * time by scripts/prepare-data.mjs). When the result file is missing, each figure shows a "run the bench"
 * placeholder and each number reads "n/a".
 *
 * Rows are picked by a selector "section|name|a|b": a matches `bits` (or `sparsity`, to 2 decimals), b matches
 * `groupSize` ("null" for none), e.g. "quantization|rtn|4|128", "sparsity|wanda 2:4|0.5", "heads|2 of 8 heads removed"
 * (heads rows are also matched by their removed count: "heads|2").
 */
import React, { useCallback, type ReactNode } from 'react';
import Link from '@docusaurus/Link';
import bench from '@site/src/generated/bench.json';
import notebookPages from '@site/src/generated/notebook-pages.json';
import { baseLayout, benchSource, legendOnTop, themeColors, type BenchSourceFields } from '@optilab/viz';
import PlotlyFigure, { MissingData } from '../PlotlyFigure';

type Section = 'model' | 'quantization' | 'outliers' | 'outliers-injected' | 'sparsity' | 'heads' | 'distillation' | 'onnx';

interface TfRow {
  section: Section;
  name: string;
  bits?: number | null;
  groupSize?: number | null;
  sparsity?: number | null;
  perplexity?: number;
  bpc?: number;
  bytes?: number;
  ratio?: number;
  detail?: string;
}

interface ChannelStat { name: string; cols: number; absMax: number[]; maxOverMedian: number; outliers: number[] }

interface TransformerBench extends BenchSourceFields {
  rows: TfRow[];
  notes?: string[];
  model?: { config?: Record<string, number | string>; parameters?: number; macsPerToken?: number; training?: Record<string, unknown>; cached?: boolean };
  channelStats?: ChannelStat[];
  /** Not written by bench/transformer.ts yet: the same statistics after injectActivationOutliers, drawn beside the trained model's when present. */
  injectedChannelStats?: ChannelStat[];
}

const NAME = 'transformer';

function data(): TransformerBench | undefined {
  const t = (bench as Record<string, unknown>)[NAME] as TransformerBench | undefined;
  return t && Array.isArray(t.rows) ? t : undefined;
}

const num = (re: RegExp, s: string | undefined): number | undefined => {
  const m = s ? re.exec(s) : null;
  return m ? Number(m[1]) : undefined;
};

/** Fields the bench writes only into a row's `detail` text, parsed back out. */
function derivedRow(r: TfRow): Record<string, number | undefined> {
  return {
    bitsPerWeight: num(/([\d.]+) bits per linear weight/, r.detail),
    kvBytesPerToken: num(/KV cache (\d+) B\/token/, r.detail),
    parameters: num(/^(\d+) parameters/, r.detail),
    teacherParameters: num(/\(teacher (\d+)\)/, r.detail),
    relativeDifference: num(/relative difference ([\d.eE+-]+)\)/, r.detail),
    removed: r.section === 'heads' ? num(/^(\d+) of/, r.name) : undefined,
    sparsityPercent: typeof r.sparsity === 'number' ? 100 * r.sparsity : undefined,
  };
}

function field(r: TfRow, f: string): number | undefined {
  const v = (r as unknown as Record<string, unknown>)[f];
  return typeof v === 'number' ? v : derivedRow(r)[f];
}

const close = (a: string, v: number | null | undefined, tol: number) => (a === 'null' ? v === null || v === undefined : typeof v === 'number' && Math.abs(v - Number(a)) < tol);

function findRow(t: TransformerBench | undefined, sel: string): TfRow | undefined {
  if (!t) return undefined;
  const [section, name, a, b] = sel.split('|');
  return t.rows.find((r) => {
    if (r.section !== section) return false;
    if (section === 'heads' && /^\d+$/.test(name)) return derivedRow(r).removed === Number(name);
    if (name !== undefined && name !== '' && r.name !== name) return false;
    if (a !== undefined && a !== '' && !close(a, section === 'sparsity' ? r.sparsity : r.bits, section === 'sparsity' ? 0.005 : 1e-9)) return false;
    if (b !== undefined && b !== '' && !close(b, r.groupSize, 1e-9)) return false;
    return true;
  });
}

/** Numbers of the whole run that live in notes, detail texts or across rows. */
function derived(t: TransformerBench): Record<string, number | string | undefined> {
  const notes = (t.notes ?? []).join('\n');
  const outliers = t.rows.filter((r) => r.section === 'outliers');
  const worst = outliers.reduce<TfRow | undefined>((w, r) => ((r.ratio ?? 0) > (w?.ratio ?? -1) ? r : w), undefined);
  const best = outliers.reduce<TfRow | undefined>((w, r) => ((r.ratio ?? Infinity) < (w?.ratio ?? Infinity) ? r : w), undefined);
  const injected = t.rows.find((r) => r.section === 'outliers-injected');
  const heads = t.rows.filter((r) => r.section === 'heads');
  return {
    evalChars: num(/first (\d+) validation characters/, notes),
    calibrationChars: num(/calibration: the first (\d+) training characters/, notes),
    wandaCalibrationChars: num(/(\d+) for Wanda/, notes),
    trainingSteps: num(/: (\d+) steps, batch/, notes),
    studentWidth: num(/student width (\d+)/, notes),
    temperature: num(/temperature ([\d.]+)/, notes),
    distillAlpha: num(/alpha ([\d.]+) \(half/, notes),
    distillSteps: num(/, (\d+) steps, seed/, notes),
    outlierThreshold: num(/\(> ([\d.]+)x median\)/, outliers[0]?.detail),
    outlierMaxRatio: worst?.ratio,
    outlierMaxLayer: worst?.name,
    outlierMinRatio: best?.ratio,
    outlierLayersWithOutliers: outliers.filter((r) => !/: none$/.test(r.detail ?? '')).length,
    outlierLayers: outliers.length,
    injectedFactor: num(/ x(\d+) /, injected?.detail),
    injectedChannels: /channels ([\d, ]+?) x\d+/.exec(injected?.detail ?? '')?.[1],
    injectedMaxRatio: num(/largest max\/median ([\d.]+)/, injected?.detail),
    channelLayer: channelLayer(t)?.name,
    channelLayerRatio: channelLayer(t)?.maxOverMedian,
    channelLayerInjectedRatio: (() => { const l = channelLayer(t); return l ? injectedStats(t, l)?.stat.maxOverMedian : undefined; })(),
    headsTotal: num(/ of (\d+) heads/, heads[0]?.name),
    dHead: typeof t.model?.config?.dModel === 'number' && typeof t.model?.config?.nHeads === 'number' ? t.model.config.dModel / t.model.config.nHeads : undefined,
  };
}

/** Where a figure's numbers come from (file, run, date, commit), plus the notes that concern it. */
function caption(t: TransformerBench, noteMatch?: RegExp): string {
  const notes = noteMatch ? (t.notes ?? []).filter((n) => noteMatch.test(n)) : [];
  return [benchSource(t, NAME), ...notes].join(' · ');
}

type Format = 'number' | 'percent' | 'ratio' | 'kib' | 'int' | 'exp' | 'signed-percent';

function formatValue(v: number, format: Format, digits: number): string {
  switch (format) {
    case 'percent': return `${(100 * v).toFixed(digits)}%`;
    case 'signed-percent': return `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(digits)}%`;
    case 'ratio': return `${v.toFixed(digits)}×`;
    case 'kib': return `${(v / 1024).toFixed(digits)} KiB`;
    case 'int': return Math.round(v).toLocaleString('en-US');
    case 'exp': return v.toExponential(digits);
    default: return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
}

/** A row's field (`row` selector) or the value at a dotted `path` of the file or of its derived values. */
function lookup(t: TransformerBench, row: string | undefined, f: string, path: string | undefined): unknown {
  if (row !== undefined) {
    const r = findRow(t, row);
    return r ? field(r, f) : undefined;
  }
  if (path === undefined) return undefined;
  let v: unknown = { ...t, derived: derived(t) };
  for (const k of path.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

const NA = () => <code title="run npm run bench -- transformer">n/a (run the transformer bench)</code>;

/**
 * One number of bench/results/transformer.json inside prose: a row's field (`row` selector, `field`, default
 * perplexity; parsed detail fields too: bitsPerWeight, kvBytesPerToken, parameters, relativeDifference), or a
 * dotted `path` into the file ("model.parameters") or into the derived values ("derived.outlierMaxRatio").
 */
export function TfValue({ row, field: f = 'perplexity', path, format = 'number', digits = 2 }: { row?: string; field?: string; path?: string; format?: Format; digits?: number }): ReactNode {
  const t = data();
  if (!t) return <NA />;
  const v = lookup(t, row, f, path);
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return <NA />;
  if (typeof v !== 'number') return <strong>{String(v)}</strong>;
  return <strong data-tf-value={row ?? path}>{formatValue(v, format, digits)}</strong>;
}

/** Relative change of a field from row `base` to row `row` ("+6.6%"), in prose. */
export function TfChange({ row, base, field: f = 'perplexity', digits = 1 }: { row: string; base: string; field?: string; digits?: number }): ReactNode {
  const t = data();
  const a = findRow(t, row);
  const b = findRow(t, base);
  const va = a && field(a, f);
  const vb = b && field(b, f);
  if (va === undefined || vb === undefined || !vb) return <NA />;
  return <strong data-tf-change={row}>{formatValue(va / vb - 1, 'signed-percent', digits)}</strong>;
}

/**
 * A comparison word chosen by the measured numbers: `less` when row `a`'s field is below row `b`'s (by more than
 * `tolerance`, relative), `more` when above, `same` otherwise. Prose stays true when the bench is run again.
 */
export function TfCompare({ a, b, field: f = 'perplexity', less, more, same, tolerance = 0.0005 }: { a: string; b: string; field?: string; less: string; more: string; same: string; tolerance?: number }): ReactNode {
  const t = data();
  const ra = findRow(t, a);
  const rb = findRow(t, b);
  const va = ra && field(ra, f);
  const vb = rb && field(rb, f);
  if (va === undefined || vb === undefined) return <NA />;
  const rel = (va - vb) / Math.abs(vb || 1);
  return <span data-tf-compare={`${a} vs ${b}`}>{rel < -tolerance ? less : rel > tolerance ? more : same}</span>;
}

/** Display names of the quantization rows. */
function methodLabel(r: TfRow): string {
  const g = r.groupSize ? ` g${r.groupSize}` : '';
  switch (r.name) {
    case 'fp32': return 'fp32';
    case 'rtn': return `RTN int${r.bits}${g}`;
    case 'gptq': return `GPTQ int${r.bits}${g}`;
    case 'awq': return `AWQ int${r.bits}${g}`;
    case 'mxfp8_e4m3': return 'MXFP8 E4M3';
    case 'mxfp8_e5m2': return 'MXFP8 E5M2';
    case 'mxfp6_e3m2': return 'MXFP6 E3M2';
    case 'mxfp6_e2m3': return 'MXFP6 E2M3';
    case 'mxfp4_e2m1': return 'MXFP4 E2M1';
    case 'mxint8': return 'MXINT8';
    case 'w8a8': return 'W8A8';
    case 'smoothquant-w8a8': return 'SmoothQuant W8A8';
    case 'kv-int8': return 'KV cache int8';
    case 'kv-int4': return 'KV cache int4';
    default: return r.name;
  }
}

function family(r: TfRow): { name: string; symbol: string; color: number } {
  if (r.name === 'rtn') return { name: 'round to nearest', symbol: 'circle', color: 0 };
  if (r.name === 'gptq') return { name: 'GPTQ', symbol: 'diamond', color: 1 };
  if (r.name === 'awq') return { name: 'AWQ', symbol: 'star', color: 2 };
  if (r.name.startsWith('mx')) return { name: 'MX', symbol: 'square', color: 3 };
  return { name: 'W8A8', symbol: 'triangle-up', color: 4 };
}

/**
 * Perplexity against stored bits per linear weight, one marker per weight-quantization method (the KV-cache rows
 * keep fp32 weights and are in the table instead); the fp32 model as a dotted line.
 */
export function TfBitsFigure(): ReactNode {
  const t = data();
  const build = useCallback((theme: 'light' | 'dark') => {
    const c = themeColors(theme);
    const rows = (t?.rows ?? []).filter((r) => r.section === 'quantization' && r.name !== 'fp32' && !r.name.startsWith('kv-') && field(r, 'bitsPerWeight') !== undefined);
    const fp32 = t?.rows.find((r) => r.section === 'quantization' && r.name === 'fp32');
    // One colour per family (legend groups), distinct shapes within a family.
    const shapes = ['circle', 'circle-open', 'square', 'square-open', 'x', 'cross', 'triangle-up', 'triangle-up-open'];
    const seen: Record<string, number> = {};
    const traces = rows.map((r) => {
      const fam = family(r);
      const k = (seen[fam.name] = (seen[fam.name] ?? -1) + 1);
      const color = c.series[fam.color % c.series.length];
      return {
        type: 'scatter', mode: 'markers', name: methodLabel(r), legendgroup: fam.name, ...(k === 0 ? { legendgrouptitle: { text: fam.name, font: { color: c.text, size: 11 } } } : {}),
        x: [field(r, 'bitsPerWeight')], y: [r.perplexity],
        marker: { size: 11, symbol: shapes[k % shapes.length], color, line: { width: 2, color } },
        hovertemplate: `${methodLabel(r)}: %{x:.2f} bits per weight, perplexity %{y:.4f}<extra></extra>`,
      };
    });
    const xs = rows.map((r) => field(r, 'bitsPerWeight') as number);
    const lo = Math.min(...xs, 4) - 0.25;
    const hi = Math.max(...xs, 8) + 0.25;
    return {
      data: [
        ...traces,
        ...(fp32 ? [{ type: 'scatter', mode: 'lines', name: 'fp32 (32 bits)', x: [lo, hi], y: [fp32.perplexity, fp32.perplexity], line: { dash: 'dot', color: c.text, width: 1 }, hoverinfo: 'skip' }] : []),
      ],
      layout: baseLayout(theme, 'Validation perplexity against stored bits per linear weight', {
        legend: { font: { color: c.text, size: 11 }, bgcolor: 'rgba(0,0,0,0)', tracegroupgap: 6 },
        xaxis: { title: { text: 'bits per weight (codes + scales + zero points)' }, range: [lo, hi] },
        yaxis: { title: { text: 'perplexity (lower is better)' } },
      }),
    };
  }, [t]);
  if (!t) return <MissingData id="tf-bits" bench={NAME} what="perplexity against bits" />;
  return <PlotlyFigure id="tf-bits" build={build} height={560} caption={caption(t, /^perplexity and bits|^bytes:/)} />;
}

/** Perplexity against sparsity: magnitude and Wanda, unstructured (lines) and 2:4 (markers at 50%). */
export function TfSparsityFigure(): ReactNode {
  const t = data();
  const build = useCallback((theme: 'light' | 'dark') => {
    const c = themeColors(theme);
    const rows = (t?.rows ?? []).filter((r) => r.section === 'sparsity');
    const names = [...new Set(rows.map((r) => r.name))];
    const colorOf = (n: string) => c.series[n.startsWith('wanda') ? 1 : 0];
    return {
      data: names.map((n) => {
        const rs = rows.filter((r) => r.name === n).sort((p, q) => (p.sparsity ?? 0) - (q.sparsity ?? 0));
        const structured = !n.endsWith('unstructured');
        return {
          type: 'scatter', mode: structured ? 'markers' : 'lines+markers', name: n,
          x: rs.map((r) => 100 * (r.sparsity ?? 0)), y: rs.map((r) => r.perplexity),
          // the two 2:4 points can coincide: magnitude as a large open diamond around Wanda's small filled one
          marker: structured
            ? (n.startsWith('wanda') ? { size: 9, symbol: 'diamond', color: colorOf(n), line: { width: 1, color: c.text } } : { size: 17, symbol: 'diamond-open', color: colorOf(n), line: { width: 2.5, color: colorOf(n) } })
            : { size: 8, symbol: 'circle', color: colorOf(n), line: { width: 1.5, color: c.text } },
          line: { color: colorOf(n) },
          hovertemplate: `${n}: %{x:.1f}% zero, perplexity %{y:.3f}<extra></extra>`,
        };
      }),
      layout: baseLayout(theme, 'Validation perplexity against the share of zero weights (the linear layers of the blocks; the output head stays dense)', {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'sparsity of the linear weights (%)' } },
        yaxis: { title: { text: 'perplexity (log scale)' }, type: 'log' },
      }),
    };
  }, [t]);
  if (!t) return <MissingData id="tf-sparsity" bench={NAME} what="perplexity against sparsity" />;
  return <PlotlyFigure id="tf-sparsity" build={build} caption={caption(t, /^perplexity and bits/)} />;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** The injection of bench/transformer.ts, read from its notes: residual channels and factor. */
function injection(t: TransformerBench): { channels: number[]; factor: number } | undefined {
  const m = /outliers-injected: channels ([\d, ]+) of the residual stream scaled x(\d+(?:\.\d+)?)/.exec((t.notes ?? []).join('\n'));
  return m ? { channels: m[1].split(',').map((x) => Number(x.trim())), factor: Number(m[2]) } : undefined;
}

/** The layers whose input is a LayerNorm's output, the ones the injection changes. */
const fedByLayerNorm = (name: string) => /\.(attn\.qkv|mlp\.fc1)$/.test(name);

/**
 * A layer's channel statistics after the injection: measured when the file has them (injectedChannelStats),
 * else derived exactly from the trained model's: scaling a LayerNorm's gain and bias at channel j by f scales its
 * output at j by f, so the abs-max of channel j of the next layer's input is f times the trained one.
 */
function injectedStats(t: TransformerBench, s: ChannelStat): { stat: ChannelStat; measured: boolean } | undefined {
  const measured = t.injectedChannelStats?.find((x) => x.name === s.name);
  if (measured) return { stat: measured, measured: true };
  const inj = injection(t);
  if (!inj || !fedByLayerNorm(s.name)) return undefined;
  const absMax = s.absMax.map((v, j) => (inj.channels.includes(j) ? v * inj.factor : v));
  const m = median(absMax);
  return { stat: { name: s.name, cols: s.cols, absMax, maxOverMedian: Math.max(...absMax) / m, outliers: absMax.map((v, j) => (v > 6 * m ? j : -1)).filter((j) => j >= 0) }, measured: false };
}

/** The layer the channel figure draws: with an injection, the LayerNorm-fed layer it hits hardest; else the widest spread. */
function channelLayer(t: TransformerBench | undefined, layer?: string): ChannelStat | undefined {
  const stats = t?.channelStats ?? [];
  if (layer) return stats.find((s) => s.name === layer);
  const byInjected = stats.map((s) => ({ s, r: t ? injectedStats(t, s)?.stat.maxOverMedian : undefined })).filter((x) => x.r !== undefined);
  if (byInjected.length) return byInjected.reduce((w, x) => (x.r! > w.r! ? x : w)).s;
  return stats.reduce<ChannelStat | undefined>((w, s) => (s.maxOverMedian > (w?.maxOverMedian ?? -1) ? s : w), undefined);
}

/**
 * Per-input-channel activation abs-max of one linear layer, for the trained model and (a LayerNorm-fed layer)
 * after the outlier injection, with the median and the outlier threshold; channels over it in the alert colour.
 */
export function TfChannelFigure({ layer }: { layer?: string }): ReactNode {
  const t = data();
  const pick = channelLayer(t, layer);
  const inj = t && pick ? injectedStats(t, pick) : undefined;
  const build = useCallback((theme: 'light' | 'dark') => {
    const c = themeColors(theme);
    if (!t || !pick) return { data: [], layout: {} };
    const threshold = (derived(t).outlierThreshold as number | undefined) ?? 6;
    const ch = pick.absMax.map((_, i) => i);
    const bars = (label: string, s: ChannelStat, color: string) => {
      const m = median(s.absMax);
      return {
        type: 'bar', name: `${label} (max/median ${s.maxOverMedian.toFixed(1)})`, x: ch, y: s.absMax,
        marker: { color: s.absMax.map((v) => (v > threshold * m ? c.alert : color)) },
        hovertemplate: `${label}, channel %{x}: abs-max %{y:.3f}<extra></extra>`,
      };
    };
    // The injected model behind (it differs only at the injected channels), the trained one in front.
    const traces: Record<string, unknown>[] = [
      ...(inj ? [bars(inj.measured ? 'with injected outliers' : 'with injected outliers (trained abs-max × factor)', inj.stat, c.series[1])] : []),
      bars('trained model', pick, c.series[0]),
    ];
    const m = median(pick.absMax);
    traces.push(
      { type: 'scatter', mode: 'lines', name: `median ${m.toFixed(2)}`, x: [-0.5, pick.cols - 0.5], y: [m, m], line: { dash: 'dot', color: c.text, width: 1 }, hoverinfo: 'skip' },
      { type: 'scatter', mode: 'lines', name: `outlier threshold: ${threshold}× median`, x: [-0.5, pick.cols - 0.5], y: [threshold * m, threshold * m], line: { dash: 'dash', color: c.alert, width: 1 }, hoverinfo: 'skip' },
    );
    return {
      data: traces,
      layout: baseLayout(theme, `Largest |activation| of each input channel of ${pick.name}`, {
        legend: legendOnTop(theme),
        barmode: 'overlay',
        bargap: 0.1,
        xaxis: { title: { text: 'input channel' } },
        yaxis: inj ? { title: { text: 'abs-max over calibration tokens (log scale)' }, type: 'log' } : { title: { text: 'abs-max over calibration tokens' }, rangemode: 'tozero' },
      }),
    };
  }, [t, pick, inj]);
  if (!t) return <MissingData id="tf-channels" bench={NAME} what="activation channel statistics" />;
  if (!pick) return <MissingData id="tf-channels" bench={NAME} what="activation channel statistics (this result file has none)" />;
  const how = inj && !inj.measured
    ? ` The injected model's bars are the trained abs-max with the injected channels multiplied by the factor: scaling a LayerNorm's gain and bias at a channel scales its output there by the same factor, so this is exact, and the largest max/median ratio it gives over all layers (${Math.max(...(t.channelStats ?? []).map((s) => injectedStats(t, s)?.stat.maxOverMedian ?? 0)).toFixed(1)}) is the one the bench measured on the injected model (${derived(t).injectedMaxRatio ?? 'n/a'}).`
    : '';
  return <PlotlyFigure id="tf-channels" build={build} caption={`${caption(t, /^outliers-injected/)}${how}`} />;
}

const fmt = (v: number | null | undefined, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
const int = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');

const TABLES: Record<string, { notes?: RegExp; head: string[]; cells: (r: TfRow) => ReactNode[] }> = {
  quantization: {
    notes: /^bytes:/,
    head: ['method', 'bits', 'group', 'bits/weight', 'model bytes', 'KV B/token', 'perplexity', 'bits/char'],
    cells: (r) => [methodLabel(r), int(r.bits), r.groupSize ?? (r.name.includes('w8a8') ? 'per row' : '–'), fmt(field(r, 'bitsPerWeight'), 2), int(r.bytes), int(field(r, 'kvBytesPerToken')), fmt(r.perplexity), fmt(r.bpc)],
  },
  'outliers-injected': {
    notes: /^outliers-injected/,
    head: ['model with injected outliers', 'perplexity', 'bits / char', 'model bytes'],
    cells: (r) => [r.name === 'fp32' ? 'fp32 (function unchanged)' : r.name, fmt(r.perplexity), fmt(r.bpc), int(r.bytes)],
  },
  heads: {
    notes: /^heads:/,
    head: ['heads removed', 'which (layer, head)', 'perplexity', 'bits / char'],
    cells: (r) => [r.name, r.detail ?? '', fmt(r.perplexity), fmt(r.bpc)],
  },
  distillation: {
    notes: /^distillation:/,
    head: ['model', 'parameters', 'bytes', 'perplexity', 'bits / char'],
    cells: (r) => [r.name, int(field(r, 'parameters')), int(r.bytes), fmt(r.perplexity), fmt(r.bpc)],
  },
  onnx: {
    notes: /^bytes:/,
    head: ['runtime', 'file bytes', 'perplexity', 'against tfjs'],
    cells: (r) => [r.name, int(r.bytes), fmt(r.perplexity, 4), r.detail ?? ''],
  },
};

/** The rows of one section of the bench as a table, with the source line and the section's notes. */
export function TfTable({ section, teacher = false }: { section: keyof typeof TABLES; teacher?: boolean }): ReactNode {
  const t = data();
  if (!t) return <MissingData id={`tf-table-${section}`} bench={NAME} what="this table" />;
  const spec = TABLES[section];
  const rows = t.rows.filter((r) => r.section === section);
  const model = t.rows.find((r) => r.section === 'model');
  const extra = teacher && model ? [<tr key="teacher">{[`teacher (${model.name})`, int(t.model?.parameters), int(model.bytes), fmt(model.perplexity), fmt(model.bpc)].map((v, j) => <td key={j}>{v}</td>)}</tr>] : [];
  return (
    <div style={{ overflowX: 'auto' }} data-bench-table={`transformer-${section}`}>
      <table>
        <thead><tr>{spec.head.map((h) => <th key={h}>{h}</th>)}</tr></thead>
        <tbody>
          {extra}
          {rows.map((r, i) => <tr key={i}>{spec.cells(r).map((v, j) => <td key={j}>{v}</td>)}</tr>)}
        </tbody>
      </table>
      <p className="ol-figure__caption">{caption(t, spec.notes)}</p>
    </div>
  );
}

/**
 * A link to a notebook page when the notebook exists (site/docs/notebooks is generated from notebooks/*.ipynb at
 * build time, and a link to a missing page fails the build: onBrokenLinks 'throw'); plain text until then.
 */
export function NotebookLink({ slug, children }: { slug: string; children: ReactNode }): ReactNode {
  if ((notebookPages as string[]).includes(slug)) return <Link to={`/notebooks/${slug}`}>{children}</Link>;
  return <span data-notebook-pending={slug}>{children}</span>;
}

/**
 * Prose that holds only for some measured outcomes: `children` are shown when the value (a `row`'s field or a
 * `path`, as in {@link TfValue}) is below `lt` and/or above `gt`; nothing otherwise (and nothing without data).
 */
export function TfWhen({ row, field: f = 'perplexity', path, lt, gt, children }: { row?: string; field?: string; path?: string; lt?: number; gt?: number; children: ReactNode }): ReactNode {
  const t = data();
  if (!t) return null;
  const v = lookup(t, row, f, path);
  if (typeof v !== 'number') return null;
  if (lt !== undefined && !(v < lt)) return null;
  if (gt !== undefined && !(v > gt)) return null;
  return <>{children}</>;
}

/**
 * Figures and tables of experimental results. Their numbers come only from bench/results/<name>.json,
 * written by `npm run bench -- <name>` and copied into src/generated/bench.json at build time
 * (scripts/prepare-data.mjs). When a result file is missing, a placeholder says which bench to run.
 */
import React, { useCallback, type ReactNode } from 'react';
import bench from '@site/src/generated/bench.json';
import { baseLayout, benchSource, legendOnTop, rooflineFigure, type BenchSourceFields } from '@optilab/viz';
import {
  cimFigure, convIntensity, gemmIntensity, rooflineFromMeasurements, searchFigure, sparsitySweepFigure,
  type CimFigurePoint, type ConvShape, type RooflineMeasurements, type SearchFigureInput,
} from '@optilab/lite';
import PlotlyFigure, { MissingData } from '../PlotlyFigure';

interface QuantRow { experiment: string; setting: string; accuracy: number; dropPP: number; bytes: number; ratio: number }
interface QuantBench { rows: QuantRow[]; baseline: number; quick: boolean; createdAt: string; config?: { model?: string; epochs?: number }; notes?: string[]; qatTrace?: { steps: number[]; mse: Record<string, number[]> } }

const results = bench as Record<string, unknown>;

function quant(): QuantBench | undefined {
  const q = results.quantization as QuantBench | undefined;
  return q && Array.isArray(q.rows) ? q : undefined;
}

/** Where a figure's numbers come from: file, quick/full run, date and commit (src/viz/bench-source.ts). */
function source(b: BenchSourceFields, name: string): string {
  return benchSource(b, name);
}

const pct = (v: number) => Math.round(v * 10000) / 100;

/** BitOptimizer4ML: accuracy and file size against the number of float32 bits kept. */
export function TruncationFigure(): ReactNode {
  const q = quant();
  const build = useCallback((theme: 'light' | 'dark') => {
    const rows = (q?.rows ?? []).filter((r) => r.experiment === 'truncate float32');
    const bits = rows.map((r) => parseInt(r.setting, 10));
    return {
      data: [
        { type: 'scatter', mode: 'lines+markers', name: 'test accuracy (%)', x: bits, y: rows.map((r) => pct(r.accuracy)) },
        { type: 'bar', name: 'weights file (KB)', x: bits, y: rows.map((r) => r.bytes / 1000), yaxis: 'y2', opacity: 0.35 },
      ],
      layout: baseLayout(theme, 'Keeping the top k bits of every float32 weight', {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'bits kept per weight' }, type: 'category' },
        yaxis: { title: { text: 'accuracy (%)' } },
        yaxis2: { title: { text: 'KB' }, overlaying: 'y', side: 'right', showgrid: false },
      }),
    };
  }, [q]);
  if (!q) return <MissingData id="truncation" bench="quantization" what="the bit-truncation study" />;
  return <PlotlyFigure id="truncation" build={build} caption={source(q, 'quantization')} />;
}

/** Accuracy against integer bits (weight-only PTQ and QAT). */
export function IntBitsFigure(): ReactNode {
  const q = quant();
  const build = useCallback((theme: 'light' | 'dark') => {
    const rows = q?.rows ?? [];
    const pick = (re: RegExp, setting: RegExp) => rows.filter((r) => re.test(r.experiment) && setting.test(r.setting));
    const ptq = [
      ...pick(/^int8 weight-only$/, /.*/), ...pick(/^int4 PTQ weight-only$/, /minmax/), ...pick(/^int2 PTQ weight-only$/, /minmax/),
    ];
    const mse = [...pick(/^int4 PTQ weight-only$/, /mse/), ...pick(/^int2 PTQ weight-only$/, /mse/)];
    const qat = [...pick(/^int4 QAT weight-only$/, /.*/), ...pick(/^int2 QAT weight-only$/, /.*/)];
    const bitsOf = (r: QuantRow) => parseInt(r.experiment.slice(3), 10);
    const trace = (name: string, rs: QuantRow[]) => ({ type: 'scatter', mode: 'lines+markers', name, x: rs.map(bitsOf), y: rs.map((r) => pct(r.accuracy)) });
    return {
      data: [
        trace('PTQ, min/max range', ptq),
        trace('PTQ, MSE-optimal clipping', mse),
        trace('QAT (1 epoch)', qat),
        { type: 'scatter', mode: 'lines', name: 'float32 baseline', x: [2, 8], y: [pct(q?.baseline ?? 0), pct(q?.baseline ?? 0)], line: { dash: 'dot' } },
      ],
      layout: baseLayout(theme, 'Accuracy against weight bits (per-channel symmetric)', {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'weight bits' }, tickvals: [2, 4, 8] },
        yaxis: { title: { text: 'test accuracy (%)' } },
      }),
    };
  }, [q]);
  if (!q) return <MissingData id="int-bits" bench="quantization" what="accuracy against bits" />;
  return <PlotlyFigure id="int-bits" build={build} caption={source(q, 'quantization')} />;
}

/** Magnitude threshold: sparsity, accuracy and the size of a (value, index) sparse file. */
export function ZeroThresholdFigure(): ReactNode {
  const q = quant();
  const build = useCallback((theme: 'light' | 'dark') => {
    const rows = (q?.rows ?? []).filter((r) => r.experiment === 'zero-threshold');
    const zero = rows.map((r) => Number(/\(([\d.]+)% zero\)/.exec(r.setting)?.[1] ?? NaN));
    return {
      data: [
        { type: 'scatter', mode: 'lines+markers', name: 'test accuracy (%)', x: zero, y: rows.map((r) => pct(r.accuracy)) },
        { type: 'scatter', mode: 'lines+markers', name: 'size vs float32 (ratio)', x: zero, y: rows.map((r) => r.ratio), yaxis: 'y2' },
      ],
      layout: baseLayout(theme, 'Zeroing small weights: accuracy and compression', {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'weights set to zero (%)' } },
        yaxis: { title: { text: 'accuracy (%)' } },
        yaxis2: { title: { text: 'compression ratio' }, overlaying: 'y', side: 'right', showgrid: false },
      }),
    };
  }, [q]);
  if (!q) return <MissingData id="zero-threshold" bench="quantization" what="the zero-threshold study" />;
  return <PlotlyFigure id="zero-threshold" build={build} caption={source(q, 'quantization')} />;
}

/** Per-layer weight MSE during quantization-aware training. */
export function QatTraceFigure(): ReactNode {
  const q = quant();
  const build = useCallback((theme: 'light' | 'dark') => {
    const t = q?.qatTrace ?? { steps: [], mse: {} };
    return {
      data: Object.entries(t.mse).map(([name, ys]) => ({ type: 'scatter', mode: 'lines', name, x: t.steps, y: ys })),
      layout: baseLayout(theme, 'Quantization MSE of each layer during QAT', {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'training step' } },
        yaxis: { title: { text: 'weight MSE' }, type: 'log' },
      }),
    };
  }, [q]);
  if (!q) return <MissingData id="qat-trace" bench="quantization" what="the QAT trace" />;
  if (!q.qatTrace) return <MissingData id="qat-trace" bench="quantization" what="the QAT trace (this result file has none)" />;
  return <PlotlyFigure id="qat-trace" build={build} caption={source(q, 'quantization')} />;
}

/** A table of quantization bench rows whose experiment matches `match` (a regular expression source). */
export function QuantTable({ match }: { match: string }): ReactNode {
  const q = quant();
  if (!q) return <MissingData id={`table-${match}`} bench="quantization" what="this table" />;
  const re = new RegExp(match);
  const rows = q.rows.filter((r) => re.test(r.experiment));
  return (
    <div style={{ overflowX: 'auto' }} data-bench-table={match}>
      <table>
        <thead><tr><th>experiment</th><th>setting</th><th>accuracy</th><th>drop (pp)</th><th>bytes</th><th>× smaller</th></tr></thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.experiment}</td><td>{r.setting}</td><td>{pct(r.accuracy).toFixed(2)}%</td><td>{r.dropPP}</td>
              <td>{r.bytes.toLocaleString('en-US')}</td><td>{r.ratio.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="ol-figure__caption">{source(q, 'quantization')} {(q.notes ?? []).join(' · ')}</p>
    </div>
  );
}

/** One number from the quantization bench, e.g. the baseline accuracy, for use inside prose. */
export function BenchValue({ row, setting, field = 'accuracy' }: { row: string; setting?: string; field?: 'accuracy' | 'bytes' | 'ratio' | 'dropPP' }): ReactNode {
  const q = quant();
  const r = q?.rows.find((x) => x.experiment === row && (setting === undefined || x.setting.startsWith(setting)));
  if (!r) return <code title="run npm run bench -- quantization">n/a (run the quantization bench)</code>;
  const v = r[field];
  return <strong>{field === 'accuracy' ? `${pct(v).toFixed(2)}%` : field === 'ratio' ? `${v.toFixed(1)}×` : v.toLocaleString('en-US')}</strong>;
}

interface TrainingRow {
  model: string; threads: number; workers: number; nativeThreadsPerWorker: number | null; trainImgPerSec: number; inferImgPerSec: number;
  /** Threads our inference ran on (rows before this field: the native threads per worker, 1 without the addon). */
  inferThreads?: number;
  pytorch?: { trainImgPerSec: number; inferImgPerSec: number; threads: number } | null;
}
interface TrainingBench extends BenchSourceFields { rows: TrainingRow[]; notes?: string[] }

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** How a training row used its threads: '1 thread', '2 workers × 1 thread', '1 process × 2 threads'. */
function trainSetting(r: TrainingRow): string {
  if (r.workers > 1) return `${plural(r.workers, 'worker')} × 1 thread`;
  return r.threads > 1 ? `1 process × ${plural(r.threads, 'thread')}` : '1 thread';
}

/** Inference threads of each side; a row where they differ says so in its label. */
function inferSetting(r: TrainingRow): string {
  const ours = r.inferThreads ?? r.nativeThreadsPerWorker ?? 1;
  const theirs = r.pytorch?.threads ?? r.threads;
  const label = ours === theirs ? plural(ours, 'thread') : `optilab ${ours} vs PyTorch ${plural(theirs, 'thread')}`;
  return r.workers > 1 ? `${label} (${r.workers}-worker row)` : label;
}

/**
 * Training (batch 64, Adam) or inference (batch 256) throughput from bench/results/training.json, one group of
 * bars (optilab, PyTorch) per model and thread setting.
 */
export function TrainingFigure({ measure = 'train' }: { measure?: 'train' | 'infer' }): ReactNode {
  const t = results.training as TrainingBench | undefined;
  const build = useCallback((theme: 'light' | 'dark') => {
    const rows = t?.rows ?? [];
    const x = [rows.map((r) => r.model), rows.map((r) => (measure === 'train' ? trainSetting(r) : inferSetting(r)))];
    const ours = (r: TrainingRow) => (measure === 'train' ? r.trainImgPerSec : r.inferImgPerSec);
    const theirs = (r: TrainingRow) => (r.pytorch ? (measure === 'train' ? r.pytorch.trainImgPerSec : r.pytorch.inferImgPerSec) : null);
    const title = measure === 'train' ? 'Training throughput, batch 64, Adam (images/s)' : 'Inference throughput, batch 256 (images/s)';
    return {
      data: [
        { type: 'bar', name: 'optilab', x, y: rows.map(ours) },
        { type: 'bar', name: 'PyTorch CPU', x, y: rows.map(theirs) },
      ],
      layout: baseLayout(theme, title, {
        legend: legendOnTop(theme),
        barmode: 'group',
        xaxis: { type: 'multicategory' },
        yaxis: { title: { text: 'images / s' } },
      }),
    };
  }, [t, measure]);
  if (!t || !Array.isArray(t.rows)) return <MissingData id={`training-${measure}`} bench="training" what="training and inference throughput" />;
  return <PlotlyFigure id={`training-${measure}`} build={build} caption={`${source(t, 'training')} ${(t.notes ?? []).join(' · ')}`} />;
}

/**
 * Any bench's rows as a table (columns: the scalar fields of the rows), for benches whose figures are not
 * designed yet; a "run the bench" placeholder when bench/results/<name>.json does not exist.
 */
export function BenchRows({ name, what, match }: { name: string; what: string; match?: string }): ReactNode {
  const b = results[name] as { rows?: Record<string, unknown>[]; createdAt?: string; quick?: boolean; notes?: string[] } | undefined;
  if (!b || !Array.isArray(b.rows)) return <MissingData id={`bench-${name}`} bench={name} what={what} />;
  // `match` filters rows by their first text field (experiment, model, ...).
  const re = match ? new RegExp(match) : null;
  const rows = b.rows.filter((r) => !re || re.test(String(Object.values(r).find((v) => typeof v === 'string') ?? '')));
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => r[k] === null || typeof r[k] !== 'object')))];
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4)) : String(v ?? ''));
  return (
    <div style={{ overflowX: 'auto' }} data-bench-table={name}>
      <table data-bench-rows={name}>
        <thead><tr>{cols.map((c) => <th key={c}>{c}</th>)}</tr></thead>
        <tbody>{rows.map((r, i) => <tr key={i}>{cols.map((c) => <td key={c}>{fmt(r[c])}</td>)}</tr>)}</tbody>
      </table>
      <p className="ol-figure__caption">{source(b as BenchSourceFields, name)} {(b.notes ?? []).join(' · ')}</p>
    </div>
  );
}

interface TinymlRow { model: string; format: string; params: number; bytes: number; arenaBytes: number; accuracy: number; tfliteAccuracy: number | null; agreement: number | null; testImages: number; fits: Record<string, boolean> }
interface TinymlPruning { model: string; variant: string; zeroFraction: number; bytes: number; deflateBytes: number; bitmaskBytes: number; accuracy: number; fits: Record<string, boolean> }
interface TinymlBench { rows: TinymlRow[]; targets: { key: string; name: string; flashBytes: number; sramBytes: number }[]; pruning?: TinymlPruning[]; createdAt: string; quick: boolean; notes?: string[] }

function tinyml(): TinymlBench | undefined {
  const t = results.tinyml as TinymlBench | undefined;
  return t && Array.isArray(t.rows) && Array.isArray(t.targets) ? t : undefined;
}

const kib = (n: number) => Math.round(n / 102.4) / 10;

/** Flash (model bytes) and SRAM (tensor arena) of every zoo model, fp32 and int8, against the boards' limits (log scale). */
export function TinymlFigure({ memory = 'flash' }: { memory?: 'flash' | 'sram' }): ReactNode {
  const t = tinyml();
  const build = useCallback((theme: 'light' | 'dark') => {
    const rows = t?.rows ?? [];
    const models = [...new Set(rows.map((r) => r.model))];
    const value = (r: TinymlRow) => kib(memory === 'flash' ? r.bytes : r.arenaBytes);
    const bars = ['fp32', 'int8'].map((format) => ({
      type: 'bar', name: format, x: models, y: models.map((m) => { const r = rows.find((x) => x.model === m && x.format === format); return r ? value(r) : null; }),
    }));
    const limits = (t?.targets ?? []).map((target) => ({
      type: 'scatter', mode: 'lines', name: `${target.name.split(' (')[0]}: ${kib(memory === 'flash' ? target.flashBytes : target.sramBytes)} KiB`,
      x: models, y: models.map(() => kib(memory === 'flash' ? target.flashBytes : target.sramBytes)), line: { dash: 'dot' },
    }));
    return {
      data: [...bars, ...limits],
      layout: baseLayout(theme, memory === 'flash' ? 'Flash: the .tflite file against each board' : 'SRAM: the tensor arena against each board', {
        legend: legendOnTop(theme),
        barmode: 'group',
        yaxis: { title: { text: 'KiB (log scale)' }, type: 'log' },
      }),
    };
  }, [t, memory]);
  if (!t) return <MissingData id={`tinyml-${memory}`} bench="tinyml" what="the microcontroller budgets" />;
  return <PlotlyFigure id={`tinyml-${memory}`} build={build} caption={source(t, 'tinyml')} />;
}

/** The tinyml bench as a table: size, arena, accuracy (optilab and the TFLite interpreter), which boards fit. */
export function TinymlTable(): ReactNode {
  const t = tinyml();
  if (!t) return <MissingData id="tinyml-table" bench="tinyml" what="the microcontroller budgets" />;
  const acc = (v: number | null) => (v === null ? '–' : `${pct(v).toFixed(2)}%`);
  return (
    <div style={{ overflowX: 'auto' }} data-bench-table="tinyml">
      <table>
        <thead>
          <tr><th>model</th><th>format</th><th>.tflite KiB</th><th>arena KiB</th><th>accuracy (optilab)</th><th>accuracy (TFLite)</th><th>top-1 agreement</th>
            {t.targets.map((x) => <th key={x.key}>{x.name.split(' (')[0]}</th>)}</tr>
        </thead>
        <tbody>
          {t.rows.map((r, i) => (
            <tr key={i}>
              <td>{r.model}</td><td>{r.format}</td><td>{kib(r.bytes).toLocaleString('en-US')}</td><td>{kib(r.arenaBytes)}</td>
              <td>{acc(r.accuracy)}</td><td>{acc(r.tfliteAccuracy)}</td><td>{acc(r.agreement)}</td>
              {t.targets.map((x) => <td key={x.key}>{r.fits[x.key] ? 'fits' : 'no'}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="ol-figure__caption">{source(t, 'tinyml')} {(t.notes ?? []).filter((n) => !n.startsWith('pruning')).join(' · ')}</p>
    </div>
  );
}

/** Pruning on top of int8: file, deflated and bitmask-sparse sizes, accuracy and the boards the plain file fits. */
export function TinymlPruningTable(): ReactNode {
  const t = tinyml();
  if (!t || !t.pruning?.length) return <MissingData id="tinyml-pruning" bench="tinyml" what="pruning on top of int8" />;
  return (
    <div style={{ overflowX: 'auto' }} data-bench-table="tinyml-pruning">
      <table>
        <thead><tr><th>model</th><th>variant</th><th>zero weights</th><th>.tflite KiB</th><th>deflate KiB</th><th>bitmask KiB</th><th>accuracy (int8)</th><th>plain file fits</th></tr></thead>
        <tbody>
          {t.pruning.map((p, i) => (
            <tr key={i}>
              <td>{p.model}</td><td>{p.variant}</td><td>{(100 * p.zeroFraction).toFixed(0)}%</td><td>{kib(p.bytes).toLocaleString('en-US')}</td>
              <td>{kib(p.deflateBytes).toLocaleString('en-US')}</td><td>{kib(p.bitmaskBytes).toLocaleString('en-US')}</td><td>{pct(p.accuracy).toFixed(2)}%</td>
              <td>{t.targets.filter((x) => p.fits[x.key]).map((x) => x.name.split(' (')[0]).join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="ol-figure__caption">{source(t, 'tinyml')}</p>
    </div>
  );
}

// ---- The hardware chapter (bench/results/hardware.json, written by `npm run bench -- hardware`) ----

type PeakMeasurement = RooflineMeasurements['peak'];
type BandwidthMeasurement = RooflineMeasurements['bandwidth'];
/** The sweep type sparsitySweepFigure draws (its module, with the tfjs-timed kernels, is not in optilab/lite). */
type SparsitySweep = Parameters<typeof sparsitySweepFigure>[0];

interface HwKernel { name: string; tile?: number; seconds: number; flops: number; gflops: number }
interface HwConv { label: string; shape: ConvShape; algorithms: HwKernel[]; layouts: HwKernel[] }
interface HwCrossover { sparsity: number | null; estimate: number | null }
interface HardwareBench extends BenchSourceFields {
  notes?: string[];
  gemm: { size: number; ratios: { blockedOverNaive: number; packedOverNaive: number }; variants: HwKernel[]; tileSweep: HwKernel[] };
  roof: { peak: PeakMeasurement; bandwidth: BandwidthMeasurement };
  conv: HwConv[];
  sparse: { crossovers: Record<'spmv' | 'spmm', { csrVsDense: HwCrossover; csrVsBackend: HwCrossover; nmVsDense: HwCrossover }>; spmv: SparsitySweep; spmm: SparsitySweep };
  search: { precision: string; budget: { sramBytes: number; flashBytes: number }; training: { images: number; epochs: number; testImages: number }; strategies: SearchFigureInput['strategies'] };
  cim: { model: { model: string }; testImages: number; exactAccuracy: number; tileRows: number; additive: CimFigurePoint[]; multiplicative: CimFigurePoint[] };
}

function hardware(): HardwareBench | undefined {
  const h = results.hardware as HardwareBench | undefined;
  return h && h.gemm && h.roof && Array.isArray(h.conv) && h.sparse && h.search && h.cim ? h : undefined;
}

/** GFLOP/s of each matrix-product variant at N×N×N (log axis: the backend is an order of magnitude ahead). */
export function HwGemmFigure(): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => {
    const v = h?.gemm.variants ?? [];
    const naive = v.find((k) => k.name === 'naive')?.gflops ?? NaN;
    return {
      data: [{
        type: 'bar', name: 'GFLOP/s', x: v.map((k) => (k.tile ? `${k.name} (tile ${k.tile})` : k.name)), y: v.map((k) => k.gflops),
        text: v.map((k) => `${k.gflops.toFixed(2)} (${(k.gflops / naive).toFixed(1)}x naive)`), textposition: 'outside',
        hovertext: v.map((k) => `${k.name}: ${(k.seconds * 1e3).toFixed(1)} ms per product, ${k.gflops.toFixed(2)} GFLOP/s`), hoverinfo: 'text',
      }],
      layout: baseLayout(theme, `GFLOP/s of the matrix-product kernels, ${h?.gemm.size}×${h?.gemm.size}×${h?.gemm.size}`, {
        yaxis: { type: 'log', title: { text: 'GFLOP/s (log scale)' } },
      }),
    };
  }, [h]);
  if (!h) return <MissingData id="hw-gemm" bench="hardware" what="the matrix-product kernels" />;
  return <PlotlyFigure id="hw-gemm" build={build} caption={source(h, 'hardware')} />;
}

/** GFLOP/s against the tile size, blocked and packed kernels. */
export function HwTileFigure(): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => {
    const sweep = h?.gemm.tileSweep ?? [];
    const names = [...new Set(sweep.map((k) => k.name))];
    return {
      data: names.map((n) => {
        const ks = sweep.filter((k) => k.name === n);
        return { type: 'scatter', mode: 'lines+markers', name: n, x: ks.map((k) => k.tile), y: ks.map((k) => k.gflops) };
      }),
      layout: baseLayout(theme, `GFLOP/s against tile size, ${h?.gemm.size}×${h?.gemm.size}×${h?.gemm.size}`, {
        legend: legendOnTop(theme),
        xaxis: { type: 'log', title: { text: 'tile size t (t×t tiles, log scale)' }, tickvals: [...new Set(sweep.map((k) => k.tile))] },
        yaxis: { title: { text: 'GFLOP/s' }, rangemode: 'tozero' },
      }),
    };
  }, [h]);
  if (!h) return <MissingData id="hw-tile" bench="hardware" what="the tile-size sweep" />;
  return <PlotlyFigure id="hw-tile" build={build} caption={source(h, 'hardware')} />;
}

/** The roofline of the bench machine with every measured kernel (matrix products and convolutions) placed on it. */
export function HwRooflineFigure(): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => {
    if (!h) return { data: [], layout: {} };
    const n = h.gemm.size;
    const gemmI = gemmIntensity({ M: n, N: n, K: n });
    const kernels = [
      ...h.gemm.variants.map((k) => ({ name: `gemm ${k.name}`, gflops: k.gflops, intensity: gemmI })),
      ...h.conv.flatMap((c) => c.algorithms.map((k) => ({ name: `${c.label} ${k.name}`, gflops: k.gflops, intensity: convIntensity(c.shape) }))),
    ];
    const payload = rooflineFromMeasurements({ peak: h.roof.peak, bandwidth: h.roof.bandwidth, kernels, title: 'Roofline of the bench machine, with its measured kernels' });
    return rooflineFigure(payload, { theme });
  }, [h]);
  if (!h) return <MissingData id="hw-roofline" bench="hardware" what="the roofline" />;
  return <PlotlyFigure id="hw-roofline" build={build} height={420} caption={source(h, 'hardware')} />;
}

/** Speed-up of CSR and N:M over the dense kernel across sparsities (matrix-vector or matrix-matrix). */
export function HwSparseFigure({ op = 'spmv' }: { op?: 'spmv' | 'spmm' }): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => (h ? sparsitySweepFigure(h.sparse[op], { theme }) : { data: [], layout: {} }), [h, op]);
  if (!h) return <MissingData id={`hw-sparse-${op}`} bench="hardware" what="the sparsity sweep" />;
  return <PlotlyFigure id={`hw-sparse-${op}`} build={build} caption={source(h, 'hardware')} />;
}

/** The architecture search: accuracy-latency front, and SRAM/flash of every drawn candidate against the budget. */
export function HwSearchFigure(): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => (h ? searchFigure({ strategies: h.search.strategies, budget: h.search.budget, precision: h.search.precision }, { theme }) : { data: [], layout: {} }), [h]);
  if (!h) return <MissingData id="hw-search" bench="hardware" what="the architecture search" />;
  return <PlotlyFigure id="hw-search" build={build} height={440} caption={source(h, 'hardware')} />;
}

/** Simulated compute-in-memory: accuracy against weight noise and ADC bits. */
export function HwCimFigure({ noise = 'additive' }: { noise?: 'additive' | 'multiplicative' }): ReactNode {
  const h = hardware();
  const build = useCallback((theme: 'light' | 'dark') => (h ? cimFigure({ exactAccuracy: h.cim.exactAccuracy, points: h.cim[noise], model: h.cim.model.model === 'lenet5' ? 'LeNet-5' : h.cim.model.model, tileRows: h.cim.tileRows, testImages: h.cim.testImages }, { theme }) : { data: [], layout: {} }), [h, noise]);
  if (!h) return <MissingData id={`hw-cim-${noise}`} bench="hardware" what="the compute-in-memory simulation" />;
  return <PlotlyFigure id={`hw-cim-${noise}`} build={build} height={420} caption={source(h, 'hardware')} />;
}

type HwFormat = 'number' | 'ratio' | 'percent' | 'kib';

/**
 * One number of bench/results/hardware.json inside prose, read by a dotted path (e.g. "gemm.ratios.blockedOverNaive",
 * "search.strategies.0.evaluated.length"); a null value reads "never" (a crossover that was not reached).
 */
export function HwValue({ path, format = 'number', digits = 2 }: { path: string; format?: HwFormat; digits?: number }): ReactNode {
  const h = hardware();
  let v: unknown = h;
  for (const k of path.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  if (!h || v === undefined) return <code title="run npm run bench -- hardware">n/a (run the hardware bench)</code>;
  if (v === null) return <strong>never</strong>;
  if (typeof v !== 'number') return <strong>{String(v)}</strong>;
  const text = format === 'ratio' ? `${v.toFixed(digits)}×` : format === 'percent' ? `${(100 * v).toFixed(digits)}%` : format === 'kib' ? `${(v / 1024).toFixed(digits)} KiB` : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  return <strong data-hw-value={path}>{text}</strong>;
}

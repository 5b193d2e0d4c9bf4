/**
 * The architecture search as a figure, in two panels side by side:
 *
 * - **accuracy against batch-1 latency** of every measured candidate, one marker shape per strategy, with the
 *   Pareto front of all of them joined by a line (paretoFront of pareto.ts);
 * - **the microcontroller's memory**: peak activation SRAM against flash (both log axes) of every drawn
 *   candidate, the budget drawn as a box, the ruled-out candidates (never trained) as crosses outside it.
 *
 * Input is plain data (SearchResult of search.ts, or the `search` section of bench/results/hardware.json). As a
 * plotly figure spec (the course site) or a self-contained SVG (a notebook's text/html output). Pure. Isomorphic.
 */
import type { FigureSpec } from '../viz/figure';
import { baseLayout, legendOnTop, themeColors, type ThemeName } from '../viz/theme';
import { paretoFront } from './pareto';
import { svgEscape, svgLegend, svgPanel } from './svg-plot';

/** What the figure reads of a measured candidate. */
export interface SearchFigureCandidate {
  label: string;
  accuracy: number;
  latencyMs: number;
  peakActivationBytes: number;
  flashBytes: number;
  params?: number;
}

/** What the figure reads of a ruled-out candidate. */
export interface SearchFigureRuledOut {
  label: string;
  peakActivationBytes: number;
  flashBytes: number;
  reasons: string[];
}

export interface SearchFigureInput {
  strategies: { strategy: string; evaluated: SearchFigureCandidate[]; ruledOut: SearchFigureRuledOut[] }[];
  /** The memory budget the candidates were checked against. */
  budget: { sramBytes: number; flashBytes: number };
  /** Precision of the memory model ('float32', 'int8'), for the axis titles. */
  precision?: string;
}

/** Measured candidates of every strategy, each architecture once (the first strategy that measured it). */
function measured(input: SearchFigureInput): (SearchFigureCandidate & { strategy: string })[] {
  const seen = new Map<string, SearchFigureCandidate & { strategy: string }>();
  for (const s of input.strategies) for (const c of s.evaluated) if (!seen.has(c.label)) seen.set(c.label, { ...c, strategy: s.strategy });
  return [...seen.values()];
}

function ruledOut(input: SearchFigureInput): SearchFigureRuledOut[] {
  const seen = new Map<string, SearchFigureRuledOut>();
  for (const s of input.strategies) for (const r of s.ruledOut) if (!seen.has(r.label)) seen.set(r.label, r);
  return [...seen.values()];
}

const kib = (b: number) => b / 1024;

/** A candidate's hover line. */
function describe(c: SearchFigureCandidate & { strategy?: string }): string {
  return `${c.label}${c.strategy ? ` (${c.strategy})` : ''}: ${(100 * c.accuracy).toFixed(2)}%, ${c.latencyMs.toFixed(2)} ms, SRAM ${kib(c.peakActivationBytes).toFixed(1)} KiB, flash ${kib(c.flashBytes).toFixed(1)} KiB`;
}

/** The union front of the measured candidates, fastest first. */
export function searchFigureFront(input: SearchFigureInput): SearchFigureCandidate[] {
  return paretoFront(measured(input));
}

const SYMBOLS = ['circle', 'triangle-up', 'square', 'diamond'];

/**
 * The search as a plotly figure (two panels).
 *
 * @example
 * const fig = searchFigure({ strategies: [random, evolution], budget: DEFAULT_MCU_BUDGET, precision: 'float32' });
 * Plotly.newPlot(el, fig.data, fig.layout);
 */
export function searchFigure(input: SearchFigureInput, opts: { theme?: ThemeName; title?: string } = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const all = measured(input);
  const out = ruledOut(input);
  const front = paretoFront(all);
  const precision = input.precision ? ` (${input.precision})` : '';
  const data: FigureSpec['data'] = [];
  input.strategies.forEach((s, i) => {
    const mine = all.filter((m) => m.strategy === s.strategy);
    data.push({
      type: 'scatter', mode: 'markers', name: `${s.strategy} search (${s.evaluated.length} measured)`,
      x: mine.map((m) => m.latencyMs), y: mine.map((m) => 100 * m.accuracy),
      hovertext: mine.map(describe), hoverinfo: 'text',
      marker: { size: 9, symbol: SYMBOLS[i % SYMBOLS.length], color: c.series[i % c.series.length] },
    });
  });
  data.push({
    type: 'scatter', mode: 'lines+markers', name: `Pareto front (${front.length})`,
    x: front.map((m) => m.latencyMs), y: front.map((m) => 100 * m.accuracy),
    hovertext: front.map((m) => `front: ${describe(m)}`), hoverinfo: 'text',
    line: { color: c.text, width: 1.5, shape: 'hv' }, marker: { size: 13, color: 'rgba(0,0,0,0)', line: { color: c.text, width: 1.5 } },
  });
  data.push({
    type: 'scatter', mode: 'markers', name: 'measured (fits the budget)', xaxis: 'x2', yaxis: 'y2',
    x: all.map((m) => kib(m.peakActivationBytes)), y: all.map((m) => kib(m.flashBytes)),
    hovertext: all.map(describe), hoverinfo: 'text', marker: { size: 8, color: c.series[0] },
  });
  data.push({
    type: 'scatter', mode: 'markers', name: `ruled out by the budget (${out.length})`, xaxis: 'x2', yaxis: 'y2',
    x: out.map((r) => kib(r.peakActivationBytes)), y: out.map((r) => kib(r.flashBytes)),
    hovertext: out.map((r) => `${r.label}: ${r.reasons.join('; ')}`), hoverinfo: 'text',
    marker: { size: 10, symbol: 'x', color: c.alert },
  });
  const sram = kib(input.budget.sramBytes);
  const flash = kib(input.budget.flashBytes);
  const xs = [...all.map((m) => kib(m.peakActivationBytes)), ...out.map((r) => kib(r.peakActivationBytes)), sram];
  const ys = [...all.map((m) => kib(m.flashBytes)), ...out.map((r) => kib(r.flashBytes)), flash];
  const x0 = Math.min(...xs) / 1.5, y0 = Math.min(...ys) / 1.5;
  data.push({
    type: 'scatter', mode: 'lines', name: `budget: ${sram.toFixed(0)} KiB SRAM, ${flash.toFixed(0)} KiB flash`, xaxis: 'x2', yaxis: 'y2',
    x: [x0, sram, sram], y: [flash, flash, y0], line: { color: c.alert, dash: 'dash', width: 1.5 }, hoverinfo: 'skip',
  });
  const axis = { gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.grid, color: c.text, automargin: true };
  return {
    data,
    layout: baseLayout(theme, opts.title ?? 'Hardware-aware search: the accuracy-latency front and the memory budget', {
      legend: legendOnTop(theme),
      xaxis: { domain: [0, 0.46], type: 'log', title: { text: 'latency at batch 1 (ms, log)' } },
      yaxis: { title: { text: 'test accuracy (%)' } },
      xaxis2: { ...axis, domain: [0.56, 1], type: 'log', anchor: 'y2', title: { text: `peak activations, SRAM KiB${precision}` } },
      yaxis2: { ...axis, type: 'log', anchor: 'x2', title: { text: `weights, flash KiB${precision}` } },
    }),
  };
}

/**
 * The search as a self-contained SVG string (two panels and a legend underneath).
 *
 * @example
 * tslab.display.html(searchSvg({ strategies: [random, evolution], budget: DEFAULT_MCU_BUDGET }));
 */
export function searchSvg(input: SearchFigureInput, opts: { width?: number; height?: number; title?: string } = {}): string {
  const W = opts.width ?? 900;
  const H = opts.height ?? 420;
  const c = themeColors('light');
  const all = measured(input);
  const out = ruledOut(input);
  const front = paretoFront(all);
  const precision = input.precision ? ` (${input.precision})` : '';
  const legendRows = input.strategies.length + 1;
  const bottom = H - 50 - legendRows * 16;
  const mid = W / 2;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="${c.paper}"/>`];
  parts.push(`<text x="60" y="18" font-size="13" fill="${c.text}">${svgEscape(opts.title ?? 'Hardware-aware search: the accuracy-latency front and the memory budget')}</text>`);
  // Left: accuracy against latency.
  if (all.length) {
    const lat = all.map((m) => m.latencyMs), acc = all.map((m) => 100 * m.accuracy);
    const aMin = Math.min(...acc), aMax = Math.max(...acc);
    const pad = Math.max(0.5, (aMax - aMin) * 0.08);
    const left = svgPanel({ left: 60, right: mid - 20, top: 34, bottom },
      { min: Math.min(...lat) / 1.25, max: Math.max(...lat) * 1.25, log: true, title: 'latency at batch 1 (ms, log)' },
      { min: aMin - pad, max: Math.min(100, aMax + pad), title: 'test accuracy (%)' });
    parts.push(left.frame);
    let d = '';
    front.forEach((m, i) => {
      const x = left.px(m.latencyMs).toFixed(1), y = left.py(100 * m.accuracy).toFixed(1);
      d += i === 0 ? `M${x},${y}` : `H${x}V${y}`;
    });
    if (front.length) parts.push(`<path d="${d}" fill="none" stroke="${c.text}" stroke-width="1.5"/>`);
    input.strategies.forEach((s, i) => {
      const colour = c.series[i % c.series.length];
      for (const m of all.filter((q) => q.strategy === s.strategy)) parts.push(marker(i, left.px(m.latencyMs), left.py(100 * m.accuracy), colour, describe(m)));
    });
    for (const m of front) {
      const x = left.px(m.latencyMs), y = left.py(100 * m.accuracy);
      parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="8" fill="none" stroke="${c.text}" stroke-width="1.5"/>`);
      parts.push(`<text x="${(x + 10).toFixed(1)}" y="${(y + 12).toFixed(1)}" fill="${c.text}" font-size="10">${svgEscape(m.label)}</text>`);
    }
  }
  // Right: SRAM against flash, with the budget.
  const sram = kib(input.budget.sramBytes), flash = kib(input.budget.flashBytes);
  const xs = [...all.map((m) => kib(m.peakActivationBytes)), ...out.map((r) => kib(r.peakActivationBytes)), sram];
  const ys = [...all.map((m) => kib(m.flashBytes)), ...out.map((r) => kib(r.flashBytes)), flash];
  const right = svgPanel({ left: mid + 60, right: W - 20, top: 34, bottom },
    { min: Math.min(...xs) / 1.5, max: Math.max(...xs) * 1.5, log: true, title: `peak activations, SRAM KiB${precision}` },
    { min: Math.min(...ys) / 1.5, max: Math.max(...ys) * 1.5, log: true, title: `weights, flash KiB${precision}` });
  parts.push(right.frame);
  parts.push(`<rect x="${right.left}" y="${right.py(flash).toFixed(1)}" width="${(right.px(sram) - right.left).toFixed(1)}" height="${(right.bottom - right.py(flash)).toFixed(1)}" fill="${c.kept}" fill-opacity="0.06" stroke="${c.alert}" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${(right.px(sram) - 4).toFixed(1)}" y="${(right.py(flash) - 4).toFixed(1)}" text-anchor="end" fill="${c.alert}">budget ${sram.toFixed(0)} KiB SRAM, ${flash.toFixed(0)} KiB flash</text>`);
  for (const m of all) parts.push(`<circle cx="${right.px(kib(m.peakActivationBytes)).toFixed(1)}" cy="${right.py(kib(m.flashBytes)).toFixed(1)}" r="4" fill="${c.series[0]}"><title>${svgEscape(describe(m))}</title></circle>`);
  for (const r of out) {
    const x = right.px(kib(r.peakActivationBytes)), y = right.py(kib(r.flashBytes));
    parts.push(`<path d="M${x - 5},${y - 5}L${x + 5},${y + 5}M${x - 5},${y + 5}L${x + 5},${y - 5}" stroke="${c.alert}" stroke-width="2"><title>${svgEscape(`${r.label}: ${r.reasons.join('; ')}`)}</title></path>`);
  }
  // Legend under both panels.
  const entries = input.strategies.map((s, i) => ({ label: `${s.strategy} search: ${s.evaluated.length} measured, ${s.ruledOut.length} ruled out`, mark: (x: number, y: number) => marker(i, x, y, c.series[i % c.series.length], '') }));
  entries.push({ label: `Pareto front of all measured candidates (${front.length})`, mark: (x, y) => `<circle cx="${x}" cy="${y}" r="6" fill="none" stroke="${c.text}" stroke-width="1.5"/>` });
  parts.push(svgLegend(60, H - legendRows * 16 + 2, entries));
  parts.push(svgLegend(mid + 60, H - legendRows * 16 + 2, [
    { label: 'measured (fits)', mark: (x, y) => `<circle cx="${x}" cy="${y}" r="4" fill="${c.series[0]}"/>` },
    { label: `ruled out before training (${out.length})`, mark: (x, y) => `<path d="M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}" stroke="${c.alert}" stroke-width="2"/>` },
  ]));
  parts.push('</svg>');
  return parts.join('');
}

/** Marker i (circle, triangle, square, diamond) at (x, y). */
function marker(i: number, x: number, y: number, colour: string, title: string): string {
  const t = title ? `<title>${svgEscape(title)}</title>` : '';
  const X = x.toFixed(1), Y = y.toFixed(1);
  switch (i % 4) {
    case 0: return `<circle cx="${X}" cy="${Y}" r="4.5" fill="${colour}">${t}</circle>`;
    case 1: return `<path d="M${x},${y - 6}L${x + 5.5},${y + 4}L${x - 5.5},${y + 4}Z" fill="${colour}">${t}</path>`;
    case 2: return `<rect x="${x - 4}" y="${y - 4}" width="8" height="8" fill="${colour}">${t}</rect>`;
    default: return `<rect x="${x - 4}" y="${y - 4}" width="8" height="8" fill="${colour}" transform="rotate(45 ${X} ${Y})">${t}</rect>`;
  }
}

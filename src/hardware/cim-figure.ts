/**
 * Simulated compute-in-memory as a figure, in two panels: test accuracy against the weight-noise level (one line
 * per ADC resolution), and against the ADC resolution (one line per noise level, the ideal ADC last), with the
 * exact model's accuracy as a dashed reference. Points are the mean over the noise seeds; the plotly version
 * shows the seeds' min..max as error bars. Input is plain data (cimSweep points of cim-model.ts, or the `cim`
 * section of bench/results/hardware.json). As a plotly figure spec or a self-contained SVG. Pure. Isomorphic.
 */
import type { FigureSpec } from '../viz/figure';
import { baseLayout, legendOnTop, themeColors, type ThemeName } from '../viz/theme';
import { svgEscape, svgLegend, svgPanel } from './svg-plot';

/** What the figure reads of one sweep point (CimSweepPoint has these fields). */
export interface CimFigurePoint {
  noiseKind: 'additive' | 'multiplicative';
  noise: number;
  adcBits: number | null;
  accuracy: number;
  min: number;
  max: number;
  seeds: number;
}

export interface CimFigureInput {
  /** Accuracy of the exact (digital, float32) model on the same images. */
  exactAccuracy: number;
  /** One noise kind's sweep: every noise level × ADC resolution. */
  points: CimFigurePoint[];
  model?: string;
  tileRows?: number;
  testImages?: number;
}

const bitsName = (b: number | null) => (b === null ? 'ideal' : `${b}`);
const adcName = (b: number | null) => (b === null ? 'ideal ADC' : `${b}-bit ADC`);

function axes(input: CimFigureInput) {
  const noises = [...new Set(input.points.map((p) => p.noise))].sort((a, b) => a - b);
  const bits = [...new Set(input.points.map((p) => p.adcBits))].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  const at = (noise: number, b: number | null) => input.points.find((p) => p.noise === noise && p.adcBits === b);
  const kind = input.points[0]?.noiseKind ?? 'additive';
  return { noises, bits, at, kind };
}

const noiseTitle = (kind: string) => (kind === 'additive' ? 'weight noise σ (% of the layer\'s max |w|)' : 'weight noise σ (% of each weight)');

function title(input: CimFigureInput): string {
  return `Compute-in-memory, simulated: ${input.model ?? 'LeNet-5'}${input.tileRows ? ` on ${input.tileRows}-row crossbars` : ''}`;
}

/**
 * The sweep as a plotly figure (two panels).
 *
 * @example
 * const fig = cimFigure({ exactAccuracy: 0.987, points: cimSweep(lenet, test, { noiseLevels: [0, 0.1], adcBits: [null, 4], calibration }) });
 */
export function cimFigure(input: CimFigureInput, opts: { theme?: ThemeName; title?: string } = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const { noises, bits, at, kind } = axes(input);
  const data: FigureSpec['data'] = [];
  bits.forEach((b, i) => {
    const ps = noises.map((n) => at(n, b)).filter((p): p is CimFigurePoint => p !== undefined);
    data.push({
      type: 'scatter', mode: 'lines+markers', name: adcName(b), legendgroup: 'adc',
      x: ps.map((p) => 100 * p.noise), y: ps.map((p) => 100 * p.accuracy),
      error_y: { type: 'data', symmetric: false, array: ps.map((p) => 100 * (p.max - p.accuracy)), arrayminus: ps.map((p) => 100 * (p.accuracy - p.min)), thickness: 1, width: 2 },
      hovertext: ps.map((p) => `${adcName(b)}, σ ${100 * p.noise}%: ${(100 * p.accuracy).toFixed(2)}% (${p.seeds} seed${p.seeds > 1 ? 's' : ''}, ${(100 * p.min).toFixed(2)}..${(100 * p.max).toFixed(2)}%)`),
      hoverinfo: 'text', line: { color: c.series[i % c.series.length] }, marker: { color: c.series[i % c.series.length] },
    });
  });
  noises.forEach((n, i) => {
    const ps = bits.map((b) => at(n, b)).filter((p): p is CimFigurePoint => p !== undefined);
    data.push({
      type: 'scatter', mode: 'lines+markers', name: `σ ${+(100 * n).toFixed(2)}%`, legendgroup: 'noise', xaxis: 'x2', yaxis: 'y2',
      x: ps.map((p) => bitsName(p.adcBits)), y: ps.map((p) => 100 * p.accuracy),
      hovertext: ps.map((p) => `σ ${100 * n}%, ${adcName(p.adcBits)}: ${(100 * p.accuracy).toFixed(2)}%`), hoverinfo: 'text',
      line: { dash: 'dot', color: c.series[(i + 3) % c.series.length] }, marker: { symbol: 'square', color: c.series[(i + 3) % c.series.length] },
    });
  });
  const exact = 100 * input.exactAccuracy;
  data.push({ type: 'scatter', mode: 'lines', name: `exact model ${exact.toFixed(2)}%`, x: [0, 100 * Math.max(...noises, 0)], y: [exact, exact], line: { color: c.text, dash: 'dash', width: 1 }, hoverinfo: 'skip' });
  const axis = { gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.grid, color: c.text, automargin: true };
  return {
    data,
    layout: baseLayout(theme, opts.title ?? title(input), {
      legend: legendOnTop(theme),
      xaxis: { domain: [0, 0.46], title: { text: noiseTitle(kind) } },
      yaxis: { title: { text: 'test accuracy (%)' }, range: [0, 100] },
      xaxis2: { ...axis, domain: [0.56, 1], anchor: 'y2', type: 'category', categoryorder: 'array', categoryarray: bits.map(bitsName), title: { text: 'ADC bits per partial sum' } },
      yaxis2: { ...axis, anchor: 'x2', range: [0, 100], title: { text: 'test accuracy (%)' } },
    }),
  };
}

/**
 * The sweep as a self-contained SVG string.
 *
 * @example
 * tslab.display.html(cimSvg({ exactAccuracy, points: additive, model: 'LeNet-5', tileRows: 128 }));
 */
export function cimSvg(input: CimFigureInput, opts: { width?: number; height?: number; title?: string } = {}): string {
  const W = opts.width ?? 900;
  const H = opts.height ?? 400;
  const c = themeColors('light');
  const { noises, bits, at, kind } = axes(input);
  const rows = Math.max(bits.length, noises.length) + 1;
  const bottom = H - 50 - Math.ceil(rows / 2) * 16;
  const mid = W / 2;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="${c.paper}"/>`];
  parts.push(`<text x="60" y="18" font-size="13" fill="${c.text}">${svgEscape(opts.title ?? title(input))}</text>`);
  const yAxis = { min: 0, max: 100, title: 'test accuracy (%)', ticks: [0, 20, 40, 60, 80, 100] };
  const maxNoise = 100 * Math.max(...noises, 0.01);
  const left = svgPanel({ left: 60, right: mid - 20, top: 34, bottom }, { min: 0, max: maxNoise * 1.04, title: noiseTitle(kind) }, yAxis);
  const idx = (b: number | null) => bits.indexOf(b);
  const right = svgPanel({ left: mid + 60, right: W - 20, top: 34, bottom },
    { min: -0.5, max: bits.length - 0.5, title: 'ADC bits per partial sum', ticks: bits.map((_, i) => i), format: (v) => bitsName(bits[Math.round(v)]) }, yAxis);
  parts.push(left.frame, right.frame);
  const exact = 100 * input.exactAccuracy;
  parts.push(`<line x1="${left.left}" y1="${left.py(exact).toFixed(1)}" x2="${left.right}" y2="${left.py(exact).toFixed(1)}" stroke="${c.text}" stroke-dasharray="6 4"/>`);
  parts.push(`<line x1="${right.left}" y1="${right.py(exact).toFixed(1)}" x2="${right.right}" y2="${right.py(exact).toFixed(1)}" stroke="${c.text}" stroke-dasharray="6 4"/>`);
  const line = (pts: [number, number][], colour: string, dash = '') =>
    `<polyline points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  bits.forEach((b, i) => {
    const colour = c.series[i % c.series.length];
    const ps = noises.map((n) => at(n, b)).filter((p): p is CimFigurePoint => p !== undefined);
    parts.push(line(ps.map((p) => [left.px(100 * p.noise), left.py(100 * p.accuracy)]), colour));
    for (const p of ps) parts.push(`<circle cx="${left.px(100 * p.noise).toFixed(1)}" cy="${left.py(100 * p.accuracy).toFixed(1)}" r="3.5" fill="${colour}"><title>${svgEscape(`${adcName(b)}, σ ${100 * p.noise}%: ${(100 * p.accuracy).toFixed(2)}%`)}</title></circle>`);
  });
  noises.forEach((n, i) => {
    const colour = c.series[(i + 3) % c.series.length];
    const ps = bits.map((b) => at(n, b)).filter((p): p is CimFigurePoint => p !== undefined);
    parts.push(line(ps.map((p) => [right.px(idx(p.adcBits)), right.py(100 * p.accuracy)]), colour, '3 3'));
    for (const p of ps) parts.push(`<rect x="${(right.px(idx(p.adcBits)) - 3.5).toFixed(1)}" y="${(right.py(100 * p.accuracy) - 3.5).toFixed(1)}" width="7" height="7" fill="${colour}"><title>${svgEscape(`σ ${100 * n}%, ${adcName(p.adcBits)}: ${(100 * p.accuracy).toFixed(2)}%`)}</title></rect>`);
  });
  const legendTop = bottom + 48;
  const half = (arr: { label: string; mark: (x: number, y: number) => string }[], x: number) => {
    const cut = Math.ceil(arr.length / 2);
    return svgLegend(x, legendTop, arr.slice(0, cut)) + svgLegend(x + 170, legendTop, arr.slice(cut));
  };
  const adcEntries = bits.map((b, i) => ({ label: adcName(b), mark: (x: number, y: number) => `<line x1="${x - 6}" y1="${y}" x2="${x + 6}" y2="${y}" stroke="${c.series[i % c.series.length]}" stroke-width="3"/>` }));
  adcEntries.push({ label: `exact model ${exact.toFixed(2)}%`, mark: (x, y) => `<line x1="${x - 6}" y1="${y}" x2="${x + 6}" y2="${y}" stroke="${c.text}" stroke-dasharray="4 2"/>` });
  const noiseEntries = noises.map((n, i) => ({ label: `σ ${+(100 * n).toFixed(2)}%`, mark: (x: number, y: number) => `<rect x="${x - 3.5}" y="${y - 3.5}" width="7" height="7" fill="${c.series[(i + 3) % c.series.length]}"/>` }));
  parts.push(half(adcEntries, 60), half(noiseEntries, mid + 60));
  parts.push('</svg>');
  return parts.join('');
}

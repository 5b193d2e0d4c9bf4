/**
 * Sparsity figures (pure: payload -> plotly figure spec): the mask heat map of one layer, the per-layer
 * sparsity bars, and the sparsity trend over pruning steps.
 */
import type { FigureSpec, NamedFigure } from './figure';
import { maskMatrix } from './mask';
import type { SparsityLayer, SparsityPayload } from './payloads';
import { baseLayout, legendOnTop, themeColors, type ThemeName } from './theme';

export interface FigureOptions {
  theme?: ThemeName;
}

/** Picks a layer by index or name; throws a readable error when it does not exist. */
function pickLayer<T extends { name: string }>(layers: T[], which: number | string): T {
  const layer = typeof which === 'number' ? layers[which] : layers.find((l) => l.name === which);
  if (!layer) {
    throw new Error(`no layer ${typeof which === 'number' ? `#${which}` : `'${which}'`}; layers: ${layers.map((l) => l.name).join(', ')}`);
  }
  return layer;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/**
 * Heat map of one layer's pruning mask: exact kept/pruned bits for small layers, the fraction of weights
 * kept per grid cell for large ones. Rows are the flattened input dimensions, columns the output units.
 *
 * @example
 * const fig = maskHeatmapFigure(payload, 'conv2d_1/kernel', { theme: 'dark' });
 * Plotly.newPlot(el, fig.data, fig.layout);
 */
export function maskHeatmapFigure(payload: SparsityPayload, which: number | string = 0, opts: FigureOptions = {}): FigureSpec {
  const layer: SparsityLayer = pickLayer(payload.layers, which);
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const view = layer.mask;
  const z = maskMatrix(view);
  const exact = view.kind === 'bits';
  // Hover words ('kept' / 'pruned') for masks up to 256x256; larger ones hover the bit (cheaper to draw).
  const words = exact && view.rows * view.cols <= 65536;
  const trace = {
    type: 'heatmap' as const,
    name: layer.name,
    z,
    zmin: 0,
    zmax: 1,
    colorscale: [[0, c.pruned], [1, c.kept]],
    showscale: !exact,
    ...(exact ? (words ? { customdata: z.map((row) => row.map((b) => (b ? 'kept' : 'pruned'))) } : {}) : { colorbar: { title: { text: 'kept', side: 'right' }, tickformat: '.0%', outlinewidth: 0 } }),
    hovertemplate: exact
      ? (words ? 'row %{y}, col %{x}: %{customdata}<extra></extra>' : 'row %{y}, col %{x}: %{z} (1 = kept, 0 = pruned)<extra></extra>')
      : `rows %{y}×${view.kind === 'density' ? view.cellRows : 1}, cols %{x}×${view.kind === 'density' ? view.cellCols : 1}: %{z:.1%} kept<extra></extra>`,
    xgap: 0,
    ygap: 0,
  };
  const shape = `[${layer.shape.join('×')}]`;
  const title = `${layer.name} ${shape}: ${pct(layer.sparsity)} pruned` + (exact ? ' (exact mask)' : ` (density, ${view.rows}×${view.cols} cells)`);
  return {
    data: [trace],
    layout: baseLayout(theme, title, {
      xaxis: { title: { text: exact ? 'output unit' : 'output cell' }, showgrid: false, zeroline: false, constrain: 'domain' },
      yaxis: { title: { text: exact ? 'input (flattened)' : 'input cell' }, autorange: 'reversed', showgrid: false, zeroline: false },
    }),
  };
}

/**
 * Bars of the fraction of weights pruned in each layer, with the weight count in the hover text.
 *
 * @example
 * const fig = sparsityBarsFigure(payload);
 */
export function sparsityBarsFigure(payload: SparsityPayload, opts: FigureOptions = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const names = payload.layers.map((l) => l.name);
  const counts = payload.layers.map((l) => l.shape.reduce((a, b) => a * b, 1));
  return {
    data: [
      {
        type: 'bar',
        name: 'sparsity',
        x: names,
        y: payload.layers.map((l) => l.sparsity),
        customdata: counts,
        marker: { color: c.series[0] },
        text: payload.layers.map((l) => pct(l.sparsity)),
        textposition: 'auto',
        hovertemplate: '%{x}: %{y:.1%} of %{customdata:,} weights pruned<extra></extra>',
      },
    ],
    layout: baseLayout(theme, `Sparsity per layer${payload.title ? ` — ${payload.title}` : ''}`, {
      yaxis: { title: { text: 'fraction pruned' }, range: [0, 1], tickformat: '.0%' },
      xaxis: { title: { text: 'layer' }, type: 'category' },
      showlegend: false,
    }),
  };
}

/**
 * Sparsity over pruning steps: the global line (thick), one line per layer, and accuracy on a second axis
 * when the history has it. Returns undefined when the payload has no history.
 *
 * @example
 * const fig = sparsityTrendFigure(payload); // undefined without payload.history
 */
export function sparsityTrendFigure(payload: SparsityPayload, opts: FigureOptions = {}): FigureSpec | undefined {
  const h = payload.history;
  if (!h) return undefined;
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const data: FigureSpec['data'] = [
    {
      type: 'scatter',
      mode: 'lines+markers',
      name: 'global',
      x: h.steps,
      y: h.global,
      line: { width: 3, color: c.text },
      hovertemplate: 'step %{x}: %{y:.1%} pruned (global)<extra></extra>',
    },
  ];
  Object.entries(h.perLayer).forEach(([name, ys], i) => {
    data.push({
      type: 'scatter',
      mode: 'lines',
      name,
      x: h.steps,
      y: ys,
      line: { width: 1.5, color: c.series[i % c.series.length] },
      hovertemplate: `step %{x}: %{y:.1%} pruned (${name})<extra></extra>`,
    });
  });
  const extra: Record<string, unknown> = {
    xaxis: { title: { text: 'pruning step' } },
    yaxis: { title: { text: 'fraction pruned' }, range: [0, 1], tickformat: '.0%' },
    legend: legendOnTop(theme),
  };
  if (h.accuracy) {
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'accuracy',
      x: h.steps,
      y: h.accuracy,
      yaxis: 'y2',
      line: { width: 2, dash: 'dot', color: c.alert },
      hovertemplate: 'step %{x}: accuracy %{y:.2%}<extra></extra>',
    });
    extra.yaxis2 = { title: { text: 'accuracy' }, overlaying: 'y', side: 'right', tickformat: '.0%', color: c.text, gridcolor: c.grid, showgrid: false, automargin: true };
  }
  return { data, layout: baseLayout(theme, 'Sparsity over pruning steps', extra) };
}

/**
 * Every sparsity figure of a payload, in display order: bars, trend (if any), then the mask of `layer`.
 *
 * @example
 * for (const f of sparsityFigures(payload, { theme: 'light' })) Plotly.newPlot(div(f.id), f.figure.data, f.figure.layout);
 */
export function sparsityFigures(payload: SparsityPayload, opts: FigureOptions & { layer?: number | string } = {}): NamedFigure[] {
  const out: NamedFigure[] = [{ id: 'sparsity-bars', title: 'Sparsity per layer', figure: sparsityBarsFigure(payload, opts) }];
  const trend = sparsityTrendFigure(payload, opts);
  if (trend) out.push({ id: 'sparsity-trend', title: 'Sparsity over steps', figure: trend });
  out.push({ id: 'sparsity-mask', title: 'Mask', figure: maskHeatmapFigure(payload, opts.layer ?? 0, opts) });
  return out;
}

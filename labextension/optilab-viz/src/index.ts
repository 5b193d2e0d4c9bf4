/**
 * The optilab visualizers for JupyterLab 4: MIME renderers for every optilab payload (PAYLOAD_MIMES of
 * src/viz/payloads.ts: sparsity, quantization, roofline).
 * Figures come from optilab's pure viz functions (the same ones the course site uses) and are drawn with
 * plotly.js, loaded on first use. They come through src/viz/index.ts, the one public entry of the viz module (no
 * deep paths into it). Theme-aware (follows the lab's light/dark theme live); a malformed payload,
 * or one newer than this renderer, shows a readable error box.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import {
  activationRangeFigure,
  errorHistogramFigure,
  escapeHtml,
  maskHeatmapFigure,
  PAYLOAD_MIMES,
  payloadFigures,
  payloadKind,
  quantTable,
  rooflineTable,
  sparsityTable,
  tableHtml,
  validatePayload,
  type FigureSpec,
  type NamedFigure,
  type Payload,
  type PayloadMime,
  type QuantizationPayload,
  type RooflinePayload,
  type SparsityPayload,
  type ThemeName,
} from '../../../src/viz';
import { STYLE } from './style';

type Plotly = typeof import('plotly.js-cartesian-dist-min').default;
let plotlyPromise: Promise<Plotly> | undefined;
function loadPlotly(): Promise<Plotly> {
  plotlyPromise ??= import('plotly.js-cartesian-dist-min').then((m) => ((m as unknown as { default?: Plotly }).default ?? (m as unknown as Plotly)));
  return plotlyPromise;
}

// Fetch plotly once the lab is idle, so the first figure does not wait for it.
if (typeof window !== 'undefined') {
  const idle = (window as unknown as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => void }).requestIdleCallback;
  if (idle) idle(() => void loadPlotly(), { timeout: 5000 });
  else setTimeout(() => void loadPlotly(), 2000);
}

function currentTheme(): ThemeName {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}

function injectStyle(): void {
  if (document.getElementById('optilab-viz-style')) return;
  const el = document.createElement('style');
  el.id = 'optilab-viz-style';
  el.textContent = STYLE;
  document.head.appendChild(el);
}

const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['lasso2d', 'select2d'] };

/** Renders one optilab payload into a widget. */
export class OptilabRenderer extends Widget implements IRenderMime.IRenderer {
  private figures: { id: string; el: HTMLElement }[] = [];
  private payload: Payload | undefined;
  private layer = 0;
  private observer: MutationObserver | undefined;

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('optilab-viz');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const t0 = performance.now();
    injectStyle();
    const mime = this.options.mimeType;
    const kind = payloadKind(mime) ?? mime;
    this.node.dataset.optilabKind = kind;
    const result = validatePayload(mime, model.data[mime]);
    if (!result.ok) {
      this.showError(kind, result.errors);
      return;
    }
    try {
      this.payload = result.payload;
      this.layer = 0;
      this.buildDom(kind);
      const plotly = await loadPlotly();
      await this.whenConnected();
      const t1 = performance.now();
      await this.plotAll(plotly);
      // Timings for the browser tests: the whole render, and the figure building + plotting part of it.
      this.node.dataset.plotMs = (performance.now() - t1).toFixed(1);
      this.node.dataset.renderMs = (performance.now() - t0).toFixed(1);
      this.node.dataset.optilabStatus = 'rendered';
      this.watchTheme(plotly);
    } catch (e) {
      this.showError(kind, [`could not draw the figures: ${(e as Error).message ?? String(e)}`]);
    }
  }

  private showError(kind: string, errors: string[]): void {
    const items = errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('');
    this.node.innerHTML = `<div class="optilab-error" role="alert"><strong>Cannot draw this optilab ${kind} payload</strong>` +
      `<ul>${items}</ul><p>The payload types are in optilab's src/viz/payloads.ts; validate one with validatePayload(mime, value).</p></div>`;
    this.node.dataset.optilabStatus = 'error';
  }

  private buildDom(kind: string): void {
    this.figures = [];
    if (kind === 'roofline') {
      // One figure and the table of its points; no layer selector.
      const r = this.payload as RooflinePayload;
      const sources = [r.peakSource && `peak: ${r.peakSource}`, r.bandwidthSource && `bandwidth: ${r.bandwidthSource}`, r.byteModel && `bytes: ${r.byteModel}`].filter(Boolean) as string[];
      this.node.innerHTML =
        // The figure carries the payload's title; the header names the kind and the roof.
        `<div class="optilab-viz-header"><span class="optilab-viz-title">${escapeHtml(`Roofline · ${r.peakGflops.toFixed(1)} GFLOP/s, ${r.bandwidthGBs.toFixed(1)} GB/s`)}</span></div>` +
        `<div class="optilab-viz-figures"></div>` +
        `<details class="optilab-viz-table"><summary>Points of the roofline</summary>${tableHtml(rooflineTable(r))}` +
        `${sources.map((t) => `<p>${escapeHtml(t)}</p>`).join('')}</details>`;
      return;
    }
    const p = this.payload as SparsityPayload | QuantizationPayload;
    const title = `${kind === 'sparsity' ? 'Sparsity' : 'Quantization'}${p.model ? ` · ${p.model}` : ''}${p.title ? ` · ${p.title}` : ''}`;
    const options = p.layers.map((l, i) => `<option value="${i}">${escapeHtml(l.name)}</option>`).join('');
    const table = kind === 'sparsity' ? tableHtml(sparsityTable(p as SparsityPayload)) : tableHtml(quantTable(p as QuantizationPayload));
    this.node.innerHTML =
      `<div class="optilab-viz-header"><span class="optilab-viz-title">${escapeHtml(title)}</span>` +
      `<label class="optilab-viz-layer">layer <select class="optilab-layer-select">${options}</select></label></div>` +
      `<div class="optilab-viz-figures"></div>` +
      `<details class="optilab-viz-table"${kind === 'quantization' ? ' open' : ''}><summary>${kind === 'sparsity' ? 'Per-layer table' : 'MSE / SQNR table'}</summary>${table}</details>`;
    const select = this.node.querySelector('select') as HTMLSelectElement;
    select.addEventListener('change', () => {
      this.layer = Number(select.value);
      void loadPlotly().then((plotly) => this.plotLayer(plotly));
    });
  }

  private namedFigures(theme: ThemeName): NamedFigure[] {
    return payloadFigures(this.options.mimeType as PayloadMime, this.payload as never, { theme, layer: this.layer });
  }

  private async plotAll(plotly: Plotly): Promise<void> {
    const host = this.node.querySelector('.optilab-viz-figures') as HTMLElement;
    for (const f of this.figures) plotly.purge(f.el);
    host.innerHTML = '';
    this.figures = [];
    const named = this.namedFigures(currentTheme());
    // All cells first, then plot: each plot sizes itself to its final grid cell.
    for (const f of named) {
      const el = document.createElement('div');
      el.className = 'optilab-figure';
      el.dataset.figureId = f.id;
      host.appendChild(el);
      this.figures.push({ id: f.id, el });
    }
    for (const [i, f] of named.entries()) await plotly.newPlot(this.figures[i].el, f.figure.data, sized(f.figure), PLOT_CONFIG);
  }

  /** Redraws the figures that depend on the selected layer. */
  private async plotLayer(plotly: Plotly): Promise<void> {
    const p = this.payload!;
    const theme = currentTheme();
    const redraw: Record<string, FigureSpec | undefined> = this.node.dataset.optilabKind === 'sparsity'
      ? { 'sparsity-mask': maskHeatmapFigure(p as SparsityPayload, this.layer, { theme }) }
      : {
          'quant-error': errorHistogramFigure(p as QuantizationPayload, this.layer, { theme }),
          'quant-activation': activationRangeFigure(p as QuantizationPayload, this.layer, { theme }),
        };
    for (const f of this.figures) {
      const spec = redraw[f.id];
      if (spec) await plotly.react(f.el, spec.data, sized(spec), PLOT_CONFIG);
    }
  }

  private watchTheme(plotly: Plotly): void {
    if (this.observer) return;
    let last = currentTheme();
    this.observer = new MutationObserver(() => {
      const now = currentTheme();
      if (now === last) return;
      last = now;
      const figs = new Map(this.namedFigures(now).map((f) => [f.id, f.figure]));
      for (const f of this.figures) {
        const spec = figs.get(f.id);
        if (spec) void plotly.react(f.el, spec.data, sized(spec), PLOT_CONFIG);
      }
    });
    this.observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-light'] });
  }

  /** Resolves once the node is in the document (plotly measures text there), or after 3 s. */
  private whenConnected(): Promise<void> {
    return new Promise((resolve) => {
      const start = performance.now();
      const check = () => (this.node.isConnected || performance.now() - start > 3000 ? resolve() : requestAnimationFrame(check));
      check();
    });
  }

  protected override onResize(): void {
    void loadPlotly().then((plotly) => this.figures.forEach((f) => f.el.isConnected && plotly.Plots.resize(f.el)));
  }

  override dispose(): void {
    this.observer?.disconnect();
    if (plotlyPromise) void plotlyPromise.then((plotly) => this.figures.forEach((f) => plotly.purge(f.el)));
    super.dispose();
  }
}

function sized(f: FigureSpec): Record<string, unknown> {
  return { height: 360, ...f.layout, autosize: true };
}

/** The renderer factory for every optilab MIME type (PAYLOAD_MIMES). */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [...PAYLOAD_MIMES],
  // Rank 0 puts the interactive figures ahead of the bundle's text/html and text/plain fallbacks.
  defaultRank: 0,
  createRenderer: (options) => new OptilabRenderer(options),
};

const extension: IRenderMime.IExtension = {
  id: '@optilab/jupyterlab-viz:renderers',
  rendererFactory,
  rank: 0,
  dataType: 'json',
};

export default extension;

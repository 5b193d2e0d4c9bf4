/**
 * The roofline figure (pure: payload -> plotly figure spec, or a static SVG for plain notebooks): on log-log
 * axes, the memory roof bandwidth·intensity rising to the compute roof `peak`, meeting at the ridge point
 * intensity = peak / bandwidth. Kernels sit at their measured GFLOP/s (the gap to the roof is what the kernel
 * leaves on the table); layers are placed on the roof at their intensity (what the machine allows them),
 * so a layer left of the ridge is memory-bound whatever its kernel does.
 */
import type { FigureSpec } from './figure';
import type { RooflinePayload, RooflinePoint } from './payloads';
import { baseLayout, legendOnTop, themeColors, type ThemeName } from './theme';

/**
 * Attainable GFLOP/s at an intensity: min(peak, bandwidth · intensity).
 *
 * @example
 * attainable({ peakGflops: 10, bandwidthGBs: 5 } as RooflinePayload, 1); // 5
 */
export function attainable(p: Pick<RooflinePayload, 'peakGflops' | 'bandwidthGBs'>, intensity: number): number {
  return Math.min(p.peakGflops, p.bandwidthGBs * intensity);
}

/** The intensity where the memory roof meets the compute roof (FLOP/byte). */
export function ridgeIntensity(p: Pick<RooflinePayload, 'peakGflops' | 'bandwidthGBs'>): number {
  return p.peakGflops / p.bandwidthGBs;
}

/** The x range: every point and the ridge, with a factor of 2 either side. */
function xRange(p: RooflinePayload): [number, number] {
  const xs = [ridgeIntensity(p), ...p.points.map((q) => q.intensity)];
  return [Math.min(...xs) / 2, Math.max(...xs) * 2];
}

function yOf(p: RooflinePayload, q: RooflinePoint): number {
  return q.gflops ?? attainable(p, q.intensity);
}

function hover(p: RooflinePayload, q: RooflinePoint): string {
  const bound = q.intensity < ridgeIntensity(p) ? 'memory-bound' : 'compute-bound';
  const y = q.gflops !== undefined ? `${q.gflops.toFixed(2)} GFLOP/s measured, ` : '';
  return `${q.series ? `${q.series} ` : ''}${q.name}: ${q.intensity.toFixed(2)} FLOP/B, ${y}roof ${attainable(p, q.intensity).toFixed(2)} GFLOP/s (${bound})`;
}

/**
 * The roofline as a plotly figure: the roof, one marker trace for the kernels, one per layer series.
 *
 * @example
 * const fig = rooflineFigure(payload);
 * Plotly.newPlot(el, fig.data, fig.layout);
 */
export function rooflineFigure(payload: RooflinePayload, opts: { theme?: ThemeName } = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const [x0, x1] = xRange(payload);
  const ridge = ridgeIntensity(payload);
  const roofX = [x0, ridge, x1];
  const data: FigureSpec['data'] = [
    {
      type: 'scatter',
      name: `roof: ${payload.bandwidthGBs.toFixed(1)} GB/s, ${payload.peakGflops.toFixed(1)} GFLOP/s`,
      mode: 'lines',
      x: roofX,
      y: roofX.map((x) => attainable(payload, x)),
      line: { color: c.text, width: 2 },
      hoverinfo: 'skip',
    },
  ];
  const kernels = payload.points.filter((q) => q.group === 'kernel');
  if (kernels.length) {
    data.push({
      type: 'scatter', name: 'kernels (measured)', mode: 'markers+text',
      x: kernels.map((q) => q.intensity), y: kernels.map((q) => yOf(payload, q)),
      text: kernels.map((q) => q.name), textposition: 'top center',
      hovertext: kernels.map((q) => hover(payload, q)), hoverinfo: 'text',
      marker: { size: 10, color: c.alert, symbol: 'circle' },
    });
  }
  const layers = payload.points.filter((q) => q.group === 'layer');
  const seriesNames = [...new Set(layers.map((q) => q.series ?? 'layers'))];
  seriesNames.forEach((s, i) => {
    const qs = layers.filter((q) => (q.series ?? 'layers') === s);
    data.push({
      type: 'scatter', name: `${s} layers (on the roof)`, mode: 'markers',
      x: qs.map((q) => q.intensity), y: qs.map((q) => yOf(payload, q)),
      hovertext: qs.map((q) => hover(payload, q)), hoverinfo: 'text',
      marker: { size: 8, color: c.series[i % c.series.length], symbol: 'diamond' },
    });
  });
  return {
    data,
    layout: baseLayout(theme, payload.title ?? 'Roofline', {
      legend: legendOnTop(theme),
      xaxis: { type: 'log', title: { text: 'arithmetic intensity (FLOP / byte)' } },
      yaxis: { type: 'log', title: { text: 'GFLOP/s' } },
    }),
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The roofline as a self-contained SVG string (for a notebook's text/html output, GitHub and static pages).
 *
 * @example
 * display.html(rooflineSvg(payload));
 */
export function rooflineSvg(payload: RooflinePayload, opts: { width?: number; height?: number } = {}): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const m = { l: 60, r: 190, t: 30, b: 45 };
  const c = themeColors('light');
  const [x0, x1] = xRange(payload);
  const ys = [payload.peakGflops, attainable(payload, x0), ...payload.points.map((q) => yOf(payload, q))].filter((y) => y > 0);
  const y0 = Math.min(...ys) / 2;
  const y1 = payload.peakGflops * 2;
  const px = (x: number) => m.l + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((Math.log10(Math.max(y, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="${c.paper}"/>`);
  parts.push(`<text x="${m.l}" y="18" font-size="13" fill="${c.text}">${esc(payload.title ?? 'Roofline')}</text>`);
  // Decade grid lines and labels.
  for (let e = Math.ceil(Math.log10(x0)); e <= Math.floor(Math.log10(x1)); e++) {
    const x = px(10 ** e);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="${c.grid}"/><text x="${x}" y="${H - m.b + 14}" text-anchor="middle" fill="${c.text}">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
  }
  for (let e = Math.ceil(Math.log10(y0)); e <= Math.floor(Math.log10(y1)); e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="${c.grid}"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end" fill="${c.text}">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" fill="${c.text}">arithmetic intensity (FLOP / byte)</text>`);
  parts.push(`<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" fill="${c.text}" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">GFLOP/s</text>`);
  const ridge = ridgeIntensity(payload);
  const roof = [x0, ridge, x1].map((x) => `${px(x).toFixed(1)},${py(attainable(payload, x)).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${roof}" fill="none" stroke="${c.text}" stroke-width="2"/>`);
  parts.push(`<text x="${px(x1) - 4}" y="${py(payload.peakGflops) - 8}" text-anchor="end" fill="${c.text}">peak ${payload.peakGflops.toFixed(1)} GFLOP/s</text>`);
  parts.push(`<text x="${px(x0) + 4}" y="${py(attainable(payload, x0)) - 6}" fill="${c.text}">memory ${payload.bandwidthGBs.toFixed(1)} GB/s</text>`);
  const seriesNames = [...new Set(payload.points.filter((q) => q.group === 'layer').map((q) => q.series ?? 'layers'))];
  // Kernel labels right of their marks, pushed down where two would overlap (top to bottom).
  const labelY = new Map<RooflinePoint, number>();
  const placed: { x: number; y: number }[] = [];
  for (const q of payload.points.filter((k) => k.group === 'kernel').sort((u, v) => py(yOf(payload, u)) - py(yOf(payload, v)))) {
    const x = px(q.intensity);
    let y = py(yOf(payload, q)) + 4;
    while (placed.some((o) => Math.abs(o.x - x) < 130 && Math.abs(o.y - y) < 12)) y += 12;
    placed.push({ x, y });
    labelY.set(q, y);
  }
  for (const q of payload.points) {
    const x = px(q.intensity).toFixed(1);
    const y = py(yOf(payload, q)).toFixed(1);
    const title = `<title>${esc(hover(payload, q))}</title>`;
    if (q.group === 'kernel') {
      parts.push(`<circle cx="${x}" cy="${y}" r="5" fill="${c.alert}">${title}</circle><text x="${Number(x) + 8}" y="${labelY.get(q)!.toFixed(1)}" fill="${c.text}">${esc(q.name)}</text>`);
    } else {
      const colour = c.series[seriesNames.indexOf(q.series ?? 'layers') % c.series.length];
      parts.push(`<rect x="${Number(x) - 4}" y="${Number(y) - 4}" width="8" height="8" fill="${colour}" transform="rotate(45 ${x} ${y})">${title}</rect>`);
    }
  }
  // Legend, in the right margin.
  let ly = m.t + 10;
  const lx = W - m.r + 40;
  parts.push(`<circle cx="${lx}" cy="${ly}" r="5" fill="${c.alert}"/><text x="${lx + 10}" y="${ly + 4}" fill="${c.text}">kernels (measured)</text>`);
  seriesNames.forEach((s, i) => {
    ly += 18;
    parts.push(`<rect x="${lx - 4}" y="${ly - 4}" width="8" height="8" fill="${c.series[i % c.series.length]}" transform="rotate(45 ${lx} ${ly})"/><text x="${lx + 10}" y="${ly + 4}" fill="${c.text}">${esc(s)} layers</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

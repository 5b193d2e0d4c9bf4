/**
 * The sparsity sweep as a figure: speed-up over the dense kernel (log axis; 1 = as fast as dense) against the
 * fraction of zeros, for CSR on unstructured matrices, each N:M pattern at its sparsity and, when timed, the
 * backend's dense matMul. As a plotly figure spec (for the lab extension and the site) or a self-contained SVG
 * (for a notebook's text/html output). Pure: sweep -> figure. Isomorphic.
 */
import type { FigureSpec } from '../viz/figure';
import { baseLayout, legendOnTop, themeColors, type ThemeName } from '../viz/theme';
import type { SparsitySweep } from './sparse-sweep';

interface Series {
  name: string;
  mode: 'lines+markers' | 'markers' | 'lines';
  points: { x: number; y: number; label: string }[];
}

function opName(s: SparsitySweep): string {
  return s.operation === 'spmv' ? `SpMV ${s.rows}x${s.cols}` : `SpMM ${s.rows}x${s.cols} · ${s.cols}x${s.batch}`;
}

function series(s: SparsitySweep): Series[] {
  const pct = (x: number) => 100 * x;
  const out: Series[] = [
    {
      name: 'CSR (unstructured)', mode: 'lines+markers',
      points: s.points.map((p) => ({ x: pct(p.sparsity), y: p.seconds.dense / p.seconds.csr, label: `CSR at ${pct(p.sparsity).toFixed(0)}% zeros: ${(p.seconds.csr * 1e3).toFixed(3)} ms vs dense ${(p.seconds.dense * 1e3).toFixed(3)} ms` })),
    },
  ];
  if (s.structured.length) {
    out.push({
      name: 'N:M (structured)', mode: 'markers',
      points: s.structured.map((p) => ({ x: pct(p.sparsity), y: p.seconds.dense / p.seconds.nm!, label: `${p.pattern}: ${(p.seconds.nm! * 1e3).toFixed(3)} ms vs dense ${(p.seconds.dense * 1e3).toFixed(3)} ms` })),
    });
  }
  if (s.points.every((p) => p.seconds.backend !== undefined)) {
    out.push({
      name: 'backend matMul (dense)', mode: 'lines',
      points: s.points.map((p) => ({ x: pct(p.sparsity), y: p.seconds.dense / p.seconds.backend!, label: `backend: ${(p.seconds.backend! * 1e3).toFixed(3)} ms` })),
    });
  }
  return out;
}

/**
 * The sweep as a plotly figure.
 *
 * @example
 * const fig = sparsitySweepFigure(sparsitySweep());
 * Plotly.newPlot(el, fig.data, fig.layout);
 */
export function sparsitySweepFigure(sweep: SparsitySweep, opts: { theme?: ThemeName; title?: string } = {}): FigureSpec {
  const theme = opts.theme ?? 'light';
  const c = themeColors(theme);
  const data: FigureSpec['data'] = [
    { type: 'scatter', name: 'dense (hand-written)', mode: 'lines', x: [0, 100], y: [1, 1], line: { color: c.text, dash: 'dash', width: 1 }, hoverinfo: 'skip' },
  ];
  series(sweep).forEach((s, i) => {
    data.push({
      type: 'scatter', name: s.name, mode: s.mode,
      x: s.points.map((p) => p.x), y: s.points.map((p) => p.y),
      hovertext: s.points.map((p) => p.label), hoverinfo: 'text',
      marker: { size: s.mode === 'markers' ? 11 : 7, color: c.series[i % c.series.length], symbol: s.mode === 'markers' ? 'diamond' : 'circle' },
      line: { color: c.series[i % c.series.length] },
    });
  });
  return {
    data,
    layout: baseLayout(theme, opts.title ?? `When sparsity pays: ${opName(sweep)}`, {
      legend: legendOnTop(theme),
      xaxis: { title: { text: 'zeros in the matrix (%)' }, range: [-2, 102] },
      yaxis: { type: 'log', title: { text: 'speed-up over the dense kernel' } },
    }),
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The sweep as a self-contained SVG string.
 *
 * @example
 * display.html(sparsitySweepSvg(sweep));
 */
export function sparsitySweepSvg(sweep: SparsitySweep, opts: { width?: number; height?: number; title?: string } = {}): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 380;
  const m = { l: 60, r: 190, t: 30, b: 45 };
  const c = themeColors('light');
  const all = series(sweep);
  const ys = [1, ...all.flatMap((s) => s.points.map((p) => p.y))].filter((y) => y > 0 && Number.isFinite(y));
  const e0 = Math.floor(Math.log10(Math.min(...ys)) - 0.05);
  const e1 = Math.ceil(Math.log10(Math.max(...ys)) + 0.05);
  const px = (x: number) => m.l + (x / 100) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((Math.log10(y) - e0) / (e1 - e0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="${c.paper}"/>`);
  parts.push(`<text x="${m.l}" y="18" font-size="13" fill="${c.text}">${esc(opts.title ?? `When sparsity pays: ${opName(sweep)}`)}</text>`);
  for (let x = 0; x <= 100; x += 10) {
    parts.push(`<line x1="${px(x)}" y1="${m.t}" x2="${px(x)}" y2="${H - m.b}" stroke="${c.grid}"/><text x="${px(x)}" y="${H - m.b + 14}" text-anchor="middle" fill="${c.text}">${x}</text>`);
  }
  for (let e = e0; e <= e1; e++) {
    for (const k of [1, 2, 5]) {
      const y = k * 10 ** e;
      if (Math.log10(y) > e1) continue;
      parts.push(`<line x1="${m.l}" y1="${py(y)}" x2="${W - m.r}" y2="${py(y)}" stroke="${c.grid}"${k === 1 ? '' : ' stroke-dasharray="2 3"'}/>`);
      parts.push(`<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end" fill="${c.text}">${y >= 1 ? y : y.toPrecision(1)}x</text>`);
    }
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" fill="${c.text}">zeros in the matrix (%)</text>`);
  parts.push(`<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" fill="${c.text}" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">speed-up over dense</text>`);
  parts.push(`<line x1="${px(0)}" y1="${py(1)}" x2="${px(100)}" y2="${py(1)}" stroke="${c.text}" stroke-dasharray="6 4"/>`);
  all.forEach((s, i) => {
    const colour = c.series[i % c.series.length];
    if (s.mode !== 'markers') parts.push(`<polyline points="${s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (s.mode !== 'lines') {
      for (const p of s.points) {
        const x = px(p.x).toFixed(1), y = py(p.y).toFixed(1);
        parts.push(s.mode === 'markers'
          ? `<rect x="${Number(x) - 5}" y="${Number(y) - 5}" width="10" height="10" fill="${colour}" transform="rotate(45 ${x} ${y})"><title>${esc(p.label)}</title></rect>`
          : `<circle cx="${x}" cy="${y}" r="4" fill="${colour}"><title>${esc(p.label)}</title></circle>`);
      }
    }
    if (s.name.startsWith('N:M')) {
      for (const [j, p] of sweep.structured.entries()) {
        parts.push(`<text x="${(px(100 * p.sparsity) + 8).toFixed(1)}" y="${(py(s.points[j].y) + 4).toFixed(1)}" fill="${c.text}">${esc(p.pattern ?? '')}</text>`);
      }
    }
  });
  let ly = m.t + 10;
  const lx = W - m.r + 20;
  parts.push(`<line x1="${lx - 8}" y1="${ly}" x2="${lx + 8}" y2="${ly}" stroke="${c.text}" stroke-dasharray="6 4"/><text x="${lx + 14}" y="${ly + 4}" fill="${c.text}">dense (hand-written)</text>`);
  all.forEach((s, i) => {
    ly += 18;
    parts.push(`<line x1="${lx - 8}" y1="${ly}" x2="${lx + 8}" y2="${ly}" stroke="${c.series[i % c.series.length]}" stroke-width="${s.mode === 'markers' ? 8 : 2}"/><text x="${lx + 14}" y="${ly + 4}" fill="${c.text}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A small helper for the hardware figures' static SVG versions (a notebook's text/html output, readable on
 * GitHub and in a plain Jupyter): one rectangular panel with a linear or log-10 x and y axis, grid lines,
 * tick labels and axis titles. The figure modules draw their points on it. Pure string building. Isomorphic.
 */
import { themeColors } from '../viz/theme';

export interface SvgAxis {
  min: number;
  max: number;
  log?: boolean;
  title: string;
  /** Tick values (default: decades on a log axis, about 5 round steps on a linear one). */
  ticks?: number[];
  /** Tick label (default: the value, compactly). */
  format?: (v: number) => string;
}

export interface SvgPanel {
  /** Pixel x and y of a data point. */
  px: (x: number) => number;
  py: (y: number) => number;
  /** The grid, ticks and axis titles, as SVG elements. */
  frame: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Escapes text for SVG. */
export function svgEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(span: number): number {
  const raw = span / 5;
  const e = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((k) => k * e).find((s) => s >= raw) ?? 10 * e;
}

function defaultTicks(a: SvgAxis): number[] {
  if (a.log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(a.min)); e <= Math.ceil(Math.log10(a.max)); e++) {
      for (const k of [1, 2, 5]) {
        const v = k * 10 ** e;
        if (v >= a.min * 0.999 && v <= a.max * 1.001) out.push(v);
      }
    }
    return out;
  }
  const step = niceStep(a.max - a.min);
  const out: number[] = [];
  for (let v = Math.ceil(a.min / step) * step; v <= a.max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const compact = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : String(+v.toPrecision(3)));

/**
 * A panel occupying [left, right] × [top, bottom] pixels.
 *
 * @example
 * const p = svgPanel({ left: 60, right: 400, top: 30, bottom: 300 }, { min: 0, max: 1, title: 'x' }, { min: 1, max: 100, log: true, title: 'y' });
 * const svg = `<svg ...>${p.frame}<circle cx="${p.px(0.5)}" cy="${p.py(10)}" r="3"/></svg>`;
 */
export function svgPanel(box: { left: number; right: number; top: number; bottom: number }, x: SvgAxis, y: SvgAxis): SvgPanel {
  const c = themeColors('light');
  const t = (a: SvgAxis, v: number) => (a.log ? (Math.log10(v) - Math.log10(a.min)) / (Math.log10(a.max) - Math.log10(a.min)) : (v - a.min) / (a.max - a.min));
  const px = (v: number) => box.left + t(x, v) * (box.right - box.left);
  const py = (v: number) => box.bottom - t(y, v) * (box.bottom - box.top);
  const parts: string[] = [];
  for (const v of x.ticks ?? defaultTicks(x)) {
    const X = px(v).toFixed(1);
    parts.push(`<line x1="${X}" y1="${box.top}" x2="${X}" y2="${box.bottom}" stroke="${c.grid}"/>`);
    parts.push(`<text x="${X}" y="${box.bottom + 14}" text-anchor="middle" fill="${c.text}">${svgEscape((x.format ?? compact)(v))}</text>`);
  }
  for (const v of y.ticks ?? defaultTicks(y)) {
    const Y = py(v).toFixed(1);
    parts.push(`<line x1="${box.left}" y1="${Y}" x2="${box.right}" y2="${Y}" stroke="${c.grid}"/>`);
    parts.push(`<text x="${box.left - 6}" y="${(Number(Y) + 4).toFixed(1)}" text-anchor="end" fill="${c.text}">${svgEscape((y.format ?? compact)(v))}</text>`);
  }
  parts.push(`<rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}" fill="none" stroke="${c.grid}"/>`);
  const midY = (box.top + box.bottom) / 2;
  parts.push(`<text x="${(box.left + box.right) / 2}" y="${box.bottom + 32}" text-anchor="middle" fill="${c.text}">${svgEscape(x.title)}</text>`);
  parts.push(`<text x="${box.left - 44}" y="${midY}" text-anchor="middle" fill="${c.text}" transform="rotate(-90 ${box.left - 44} ${midY})">${svgEscape(y.title)}</text>`);
  return { px, py, frame: parts.join(''), ...box };
}

/** A legend: one row per entry (colour swatch, or a marker drawn by `mark`, then the text). */
export function svgLegend(x: number, y: number, entries: { label: string; mark: (cx: number, cy: number) => string }[], rowHeight = 16): string {
  const c = themeColors('light');
  return entries.map((e, i) => `${e.mark(x + 6, y + i * rowHeight)}<text x="${x + 16}" y="${y + i * rowHeight + 4}" fill="${c.text}">${svgEscape(e.label)}</text>`).join('');
}

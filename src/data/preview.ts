/** Looking at the data: digits drawn as an SVG image (isomorphic, no canvas needed). */
import { Dataset } from './dataset';

export interface DigitGridOptions {
  /** Which examples to draw; default the first `count`. */
  indices?: number[];
  count?: number;
  cols?: number;
  /** Screen pixels per image pixel; default 3. */
  scale?: number;
  /** Draw the label (and an optional prediction) under each digit. */
  captions?: boolean;
  predictions?: ArrayLike<number>;
}

/**
 * Renders digits as a grayscale SVG grid (white ink on black, like the raw MNIST bytes).
 *
 * @example
 * tslab.display.html(digitGridSvg(loadMnist({ split: 'test', limit: 16 }), { cols: 8 }));
 */
export function digitGridSvg(data: Dataset, opts: DigitGridOptions = {}): string {
  const indices = opts.indices ?? Array.from({ length: Math.min(opts.count ?? 16, data.count) }, (_, i) => i);
  const cols = Math.max(1, Math.min(opts.cols ?? 8, indices.length));
  const scale = opts.scale ?? 3;
  const captions = opts.captions ?? true;
  const { height: h, width: w } = data;
  const cellW = w * scale + 6;
  const cellH = h * scale + (captions ? 16 : 6);
  const rows = Math.ceil(indices.length / cols);
  const parts: string[] = [];
  indices.forEach((index, k) => {
    if (index < 0 || index >= data.count) throw new RangeError(`digitGridSvg: index ${index} is outside 0..${data.count - 1}`);
    const x0 = (k % cols) * cellW + 3;
    const y0 = Math.floor(k / cols) * cellH + 3;
    parts.push(`<rect x="${x0}" y="${y0}" width="${w * scale}" height="${h * scale}" fill="#000"/>`);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = Math.round(data.images[index * h * w + r * w + c] * 255);
        if (v > 8) parts.push(`<rect x="${x0 + c * scale}" y="${y0 + r * scale}" width="${scale}" height="${scale}" fill="rgb(${v},${v},${v})"/>`);
      }
    }
    if (captions) {
      const label = data.labels[index];
      const pred = opts.predictions?.[index];
      const wrong = pred !== undefined && pred !== label;
      const text = pred === undefined ? `${label}` : `${label}→${pred}`;
      parts.push(`<text x="${x0 + (w * scale) / 2}" y="${y0 + h * scale + 12}" font-size="11" font-family="sans-serif" text-anchor="middle" fill="${wrong ? '#c62828' : 'currentColor'}">${text}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * cellW}" height="${rows * cellH}" shape-rendering="crispEdges">${parts.join('')}</svg>`;
}

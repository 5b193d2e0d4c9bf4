/** Float bit-layout explorer: one value in float32, float16, bfloat16 and both FP8 formats (library: bitLayouts). */
import React, { useCallback, useState, type ReactNode } from 'react';
import { bitLayouts } from '@optilab/lite';
import { baseLayout, themeColors } from '@optilab/viz';
import PlotlyFigure, { type FigureSpec } from '../PlotlyFigure';

const FORMATS = ['float32', 'float16', 'bfloat16', 'fp8-e4m3', 'fp8-e5m2'];
const FIELD = ['sign', 'exponent', 'mantissa'];

export function bitLayoutSpec(value: number, theme: 'light' | 'dark'): FigureSpec {
  const rows = bitLayouts(value, FORMATS);
  const z: (number | null)[][] = [];
  const text: string[][] = [];
  const hover: string[][] = [];
  for (const r of rows) {
    const bits = r.sign + r.exponent + r.mantissa;
    const zr: (number | null)[] = [];
    const tr: string[] = [];
    const hr: string[] = [];
    for (let i = 0; i < 32; i++) {
      if (i >= bits.length) { zr.push(null); tr.push(''); hr.push(''); continue; }
      const f = i === 0 ? 0 : i <= r.exponent.length ? 1 : 2;
      zr.push(f);
      tr.push(bits[i]);
      hr.push(`${r.format}: bit ${bits.length - 1 - i} (${FIELD[f]}) = ${bits[i]}`);
    }
    z.push(zr);
    text.push(tr);
    hover.push(hr);
  }
  const c = themeColors(theme);
  const labels = rows.map((r) => `${r.format} → ${Number.isFinite(r.stored) ? r.stored.toPrecision(8) : String(r.stored)}`);
  return {
    data: [{
      type: 'heatmap', z, text, hovertext: hover, hoverinfo: 'text', texttemplate: '%{text}', showscale: false,
      x: Array.from({ length: 32 }, (_, i) => i), y: labels, xgap: 2, ygap: 4, zmin: 0, zmax: 2,
      colorscale: [[0, c.series[3] ?? '#d62728'], [0.5, c.series[0] ?? '#1f77b4'], [1, c.series[2] ?? '#2ca02c']],
      textfont: { color: '#ffffff', size: 11 },
    }],
    layout: baseLayout(theme, `Bits of ${value} (red: sign, blue: exponent, green: mantissa)`, {
      xaxis: { showticklabels: false, showgrid: false, zeroline: false },
      yaxis: { autorange: 'reversed', showgrid: false },
      margin: { l: 170, r: 10, t: 40, b: 20 },
    }),
  };
}

export default function BitLayoutExplorer(): ReactNode {
  const [text, setText] = useState('0.1');
  const parsed = Number(text);
  const value = Number.isFinite(parsed) ? parsed : 0.1;
  const build = useCallback((theme: 'light' | 'dark') => bitLayoutSpec(value, theme), [value]);
  return (
    <PlotlyFigure
      id="bit-layout"
      build={build}
      height={300}
      controls={
        <>
          <label>value <input type="text" value={text} onChange={(e) => setText(e.target.value)} aria-label="value to encode" /></label>
          {['0.1', '3.14159', '65504', '1e-5', '448', '-2.5'].map((v) => (
            <button key={v} type="button" className="button button--sm button--secondary" onClick={() => setText(v)}>{v}</button>
          ))}
        </>
      }
      caption="Each row stores the same number in a different format; the label shows the value the format actually keeps. Try 65504 (the largest float16), 1e-5 (a float16 subnormal) or 448 (the largest E4M3)."
    />
  );
}

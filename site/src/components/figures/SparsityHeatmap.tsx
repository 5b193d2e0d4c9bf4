/**
 * Sparsity heat map with a threshold slider: a seeded synthetic 32x48 weight matrix whose columns have
 * different scales, zeroed below |w| < t (library: zeroBelow), drawn by the viz module's maskHeatmapFigure,
 * the same function the JupyterLab extension uses for the sparsity payload.
 */
import React, { useCallback, useMemo, useState, type ReactNode } from 'react';
import { mulberry32, zeroBelow } from '@optilab/lite';
import { maskHeatmapFigure, sparsityLayer, SPARSITY_VERSION } from '@optilab/viz';
import PlotlyFigure from '../PlotlyFigure';

const ROWS = 32;
const COLS = 48;

export default function SparsityHeatmap(): ReactNode {
  const [t, setT] = useState(0.3);
  const weights = useMemo(() => {
    const rnd = mulberry32(3);
    const w = new Float32Array(ROWS * COLS);
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        const g = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
        w[r * COLS + c] = g * (0.2 + (c % 8) / 8);
      }
    }
    return w;
  }, []);
  const pruned = useMemo(() => zeroBelow(weights, t), [weights, t]);
  const build = useCallback((theme: 'light' | 'dark') => {
    const payload = { version: SPARSITY_VERSION, title: 'synthetic dense layer', layers: [sparsityLayer('dense [32, 48]', [ROWS, COLS], pruned.values)] };
    return maskHeatmapFigure(payload, 0, { theme }) as unknown as { data: Record<string, unknown>[]; layout: Record<string, unknown> };
  }, [pruned]);
  return (
    <PlotlyFigure
      id="sparsity-heatmap"
      build={build}
      controls={
        <label>threshold |w| &lt; {t.toFixed(2)}<input type="range" min={0} max={1} step={0.02} value={t} onChange={(e) => setT(Number(e.target.value))} aria-label="pruning threshold" /></label>
      }
      caption={`${(pruned.zeroFraction * 100).toFixed(1)}% of the weights are zero. Columns drawn from a narrower distribution lose far more weights to the same threshold: unstructured pruning leaves an irregular pattern that dense kernels cannot skip.`}
    />
  );
}

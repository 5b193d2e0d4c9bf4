/**
 * Calibration on an activation histogram: a synthetic ReLU-like sample with a few outliers (seeded), the
 * clipping range chosen by each method of the library's computeQParams, and the resulting MSE.
 */
import React, { useCallback, useMemo, useState, type ReactNode } from 'react';
import { computeQParams, dequantize, fakeQuantize, mulberry32 } from '@optilab/lite';
import { baseLayout, histogram, legendOnTop, themeColors } from '@optilab/viz';
import PlotlyFigure from '../PlotlyFigure';

type Method = 'minmax' | 'percentile' | 'entropy' | 'mse';

function sample(n: number): Float32Array {
  const rnd = mulberry32(7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Box-Muller normal, then ReLU; 0.2% of the values are outliers up to 12.
    const g = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    out[i] = rnd() < 0.002 ? 4 + 8 * rnd() : Math.max(0, 0.3 + 0.7 * g);
  }
  return out;
}

export default function CalibrationExplorer(): ReactNode {
  const [method, setMethod] = useState<Method>('minmax');
  const [bits, setBits] = useState(4);
  const values = useMemo(() => sample(20000), []);
  const result = useMemo(() => {
    const qp = computeQParams(values, [values.length], { bits, symmetric: false, signed: false, method, percentile: 99.9 });
    const lo = dequantize([qp.qmin], [1], qp)[0];
    const hi = dequantize([qp.qmax], [1], qp)[0];
    const q = fakeQuantize(values, [values.length], qp);
    let se = 0;
    for (let i = 0; i < values.length; i++) se += (q[i] - values[i]) ** 2;
    return { qp, lo, hi, mse: se / values.length };
  }, [values, bits, method]);
  const build = useCallback((theme: 'light' | 'dark') => {
    const h = histogram(values, { bins: 120 });
    const centers = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
    const c = themeColors(theme);
    const top = Math.max(...h.counts);
    const line = (x: number, name: string) => ({ type: 'scatter', mode: 'lines', name, x: [x, x], y: [0.5, top], line: { color: c.series[3], width: 2, dash: 'dash' } });
    return {
      data: [
        { type: 'bar', name: 'activation count', x: centers, y: h.counts, marker: { color: c.series[0] } },
        line(result.lo, 'clip min'),
        line(result.hi, 'clip max'),
      ],
      layout: baseLayout(theme, `${method}: clipping range [${result.lo.toFixed(2)}, ${result.hi.toFixed(2)}], ${bits}-bit MSE ${result.mse.toExponential(2)}`, {
        legend: legendOnTop(theme),
        bargap: 0,
        xaxis: { title: { text: 'activation value' } },
        yaxis: { title: { text: 'count (log)' }, type: 'log' },
      }),
    };
  }, [values, result, method, bits]);
  return (
    <PlotlyFigure
      id="calibration"
      build={build}
      controls={
        <>
          <label>
            method
            <select value={method} onChange={(e) => setMethod(e.target.value as Method)} aria-label="calibration method">
              <option value="minmax">min/max</option>
              <option value="percentile">percentile 99.9</option>
              <option value="entropy">entropy (KL)</option>
              <option value="mse">MSE</option>
            </select>
          </label>
          <label>bits {bits}<input type="range" min={2} max={8} value={bits} onChange={(e) => setBits(Number(e.target.value))} aria-label="bits" /></label>
        </>
      }
      caption="A seeded synthetic sample of 20,000 ReLU activations in which 0.2% are outliers between 4 and 12 (the log scale makes them visible). Min/max stretches the range to the largest outlier; the other methods clip it, and at 4 bits their MSE is several times lower."
    />
  );
}

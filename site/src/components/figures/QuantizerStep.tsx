/** Quantizer step function with sliders for bits, range and scheme (library: computeQParams + fakeQuantize). */
import React, { useCallback, useMemo, useState, type ReactNode } from 'react';
import { computeQParams, fakeQuantize } from '@optilab/lite';
import { baseLayout, legendOnTop } from '@optilab/viz';
import PlotlyFigure from '../PlotlyFigure';

export default function QuantizerStep(): ReactNode {
  const [bits, setBits] = useState(3);
  const [lo, setLo] = useState(-1);
  const [hi, setHi] = useState(2);
  const [symmetric, setSymmetric] = useState(false);
  const qp = useMemo(
    () => computeQParams(new Float32Array([lo, hi]), [2], { bits, symmetric, signed: symmetric }),
    [bits, lo, hi, symmetric],
  );
  const build = useCallback((theme: 'light' | 'dark') => {
    const n = 801;
    const a = Math.min(lo, -Math.abs(hi)) * 1.4 - 0.2;
    const b = Math.max(hi, Math.abs(lo)) * 1.4 + 0.2;
    const xs = new Float32Array(n).map((_, i) => a + ((b - a) * i) / (n - 1));
    const q = fakeQuantize(xs, [n], qp);
    const x = Array.from(xs);
    return {
      data: [
        { type: 'scatter', mode: 'lines', name: 'x (real value)', x, y: x, line: { dash: 'dot', width: 1 } },
        { type: 'scatter', mode: 'lines', name: 'dequantize(quantize(x))', x, y: Array.from(q), line: { shape: 'hv', width: 2 } },
        { type: 'scatter', mode: 'lines', name: 'error', x, y: x.map((v, i) => q[i] - v), line: { width: 1 } },
      ],
      layout: baseLayout(theme, `${bits}-bit ${symmetric ? 'symmetric (signed)' : 'asymmetric (unsigned)'}: scale ${qp.scale[0].toPrecision(4)}, zero point ${qp.zeroPoint[0]}`, {
        legend: legendOnTop(theme),
        xaxis: { title: { text: 'x' } },
        yaxis: { title: { text: 'value' } },
      }),
    };
  }, [qp, bits, lo, hi, symmetric]);
  return (
    <PlotlyFigure
      id="quantizer-step"
      build={build}
      controls={
        <>
          <label>bits {bits}<input type="range" min={2} max={8} value={bits} onChange={(e) => setBits(Number(e.target.value))} aria-label="bits" /></label>
          <label>min {lo.toFixed(1)}<input type="range" min={-4} max={0} step={0.1} value={lo} onChange={(e) => setLo(Number(e.target.value))} aria-label="range minimum" /></label>
          <label>max {hi.toFixed(1)}<input type="range" min={0.1} max={4} step={0.1} value={hi} onChange={(e) => setHi(Number(e.target.value))} aria-label="range maximum" /></label>
          <label>
            scheme
            <select value={symmetric ? 'sym' : 'asym'} onChange={(e) => setSymmetric(e.target.value === 'sym')} aria-label="scheme">
              <option value="asym">asymmetric</option>
              <option value="sym">symmetric</option>
            </select>
          </label>
        </>
      }
      caption={`Levels qmin…qmax = ${qp.qmin}…${qp.qmax}. Inside the clipping range the error stays within half a step; outside it grows without bound (saturation). The symmetric scheme centers the range on 0, so with an unbalanced range part of the levels go unused.`}
    />
  );
}

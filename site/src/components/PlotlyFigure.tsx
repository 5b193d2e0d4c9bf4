/**
 * A plotly figure drawn only in the browser: plotly is imported on demand (BrowserOnly + dynamic import), so
 * pages render statically and the chapter's first-load JavaScript stays small. `build(theme)` returns the
 * figure spec (the same `{ data, layout }` shape the viz functions of the library produce); it is rebuilt
 * when the colour mode or the inputs change. The plot element gets `data-figure` and, once drawn,
 * `data-rendered="true"` and `data-traces` (the browser tests read them).
 */
import React, { useEffect, useRef, useState, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { useColorMode } from '@docusaurus/theme-common';

export interface FigureSpec {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

type Theme = 'light' | 'dark';

interface Props {
  id: string;
  build: (theme: Theme) => FigureSpec;
  caption?: ReactNode;
  controls?: ReactNode;
  height?: number;
}

function Plot({ id, build, height }: { id: string; build: (theme: Theme) => FigureSpec; height: number }) {
  const { colorMode } = useColorMode();
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const el = ref.current;
    if (!el) return;
    (async () => {
      try {
        const spec = build(colorMode);
        const Plotly = (await import('plotly.js-cartesian-dist-min')).default;
        if (cancelled) return;
        await Plotly.react(el, spec.data, { ...spec.layout, autosize: true, height }, { responsive: true, displaylogo: false });
        el.dataset.rendered = 'true';
        el.dataset.traces = String(spec.data.length);
        setError(null);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [build, colorMode, height]);
  return (
    <>
      <div ref={ref} className="ol-figure__plot" data-figure={id} style={{ minHeight: height }} />
      {error && <div className="ol-feedback ol-feedback--bad">This figure could not be drawn: {error}</div>}
    </>
  );
}

export default function PlotlyFigure({ id, build, caption, controls, height = 360 }: Props): ReactNode {
  return (
    <figure className="ol-figure" data-figure-box={id}>
      {controls && <div className="ol-controls">{controls}</div>}
      <BrowserOnly fallback={<div className="ol-figure__plot" style={{ minHeight: height }}>Loading the interactive figure…</div>}>
        {() => <Plot id={id} build={build} height={height} />}
      </BrowserOnly>
      {caption && <figcaption className="ol-figure__caption">{caption}</figcaption>}
    </figure>
  );
}

/** Shown instead of a figure whose experimental data has not been produced yet. */
export function MissingData({ id, bench, what }: { id: string; bench: string; what: string }): ReactNode {
  return (
    <figure className="ol-figure" data-figure-box={id} data-missing-bench={bench}>
      <div className="ol-figure__placeholder">
        No results yet for {what}: run <code>npm run bench -- {bench}</code> at the repository root (it writes{' '}
        <code>bench/results/{bench}.json</code>), then rebuild the site.
      </div>
    </figure>
  );
}

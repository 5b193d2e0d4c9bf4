/**
 * A notebook page: markdown (pre-rendered HTML), code cells, and outputs. The optilab MIME payloads are
 * validated and drawn with the library's figure functions (src/viz), exactly as the JupyterLab extension
 * draws them; a malformed payload shows a readable error box.
 */
import React, { useCallback, type ReactNode } from 'react';
import NotebookRunner from './runner/NotebookRunner';
import { payloadFigures, payloadKind, validatePayload, type PayloadMime } from '@optilab/viz';
import PlotlyFigure, { type FigureSpec } from './PlotlyFigure';

export type Output =
  | { kind: 'text'; text: string; stream?: string }
  | { kind: 'error'; text: string }
  | { kind: 'html'; html: string }
  | { kind: 'image'; src: string }
  | { kind: 'payload'; mime: string; payload: unknown; text: string };
/** The nbgrader role of a code cell of a graded lab's student version (site/scripts/prepare-labs.mjs). */
export type LabRole = { kind: 'answer' | 'locked'; gradeId: string } | { kind: 'tests'; gradeId: string; points: number };
export type Cell = { type: 'markdown'; html: string } | { type: 'code'; source: string; count: number | null; outputs: Output[]; lab?: LabRole } | { type: 'raw'; text: string };
/** `lab`: set on a graded lab's page (its points when graded, its number of tests cells). */
export interface Notebook { name: string; file: string; title: string; outputsFrom: 'stored' | 'local-run' | 'none'; cells: Cell[]; lab?: { points: number; testsCells: number } }

/** The file name a download of the notebook gets (labs live under labs/ on the site). */
export const downloadName = (nb: Notebook): string => nb.file.slice(nb.file.lastIndexOf('/') + 1);

export const LAB_URL = 'http://127.0.0.1:8888/lab/tree/';

function PayloadFigures({ mime, payload, cell, index }: { mime: string; payload: unknown; cell: number; index: number }): ReactNode {
  const v = validatePayload(mime, payload);
  const figures = useCallback((theme: 'light' | 'dark') => {
    if (!v.ok) return [];
    return payloadFigures(mime as PayloadMime, v.payload as never, { theme });
  }, [mime, payload]);
  if (!v.ok) {
    return <div className="ol-feedback ol-feedback--bad" data-payload-error="">This {mime} output is malformed: {v.errors.join('; ')}</div>;
  }
  const count = figures('light').length;
  return (
    <div className="ol-nb-payload" data-payload={payloadKind(mime) ?? mime}>
      {Array.from({ length: count }, (_, k) => (
        <PayloadFigure key={k} id={`nb-${cell}-${index}-${k}`} all={figures} k={k} />
      ))}
    </div>
  );
}

function PayloadFigure({ id, all, k }: { id: string; all: (t: 'light' | 'dark') => { title: string; figure: unknown }[]; k: number }): ReactNode {
  const build = useCallback((theme: 'light' | 'dark') => all(theme)[k].figure as FigureSpec, [all, k]);
  return <PlotlyFigure id={id} build={build} height={340} />;
}

export function OutputView({ o, cell, index }: { o: Output; cell: number; index: number }): ReactNode {
  switch (o.kind) {
    case 'text':
      return <pre className={o.stream === 'stderr' ? 'ol-feedback--bad' : undefined}>{o.text}</pre>;
    case 'error':
      return <pre className="ol-feedback ol-feedback--bad">{o.text}</pre>;
    case 'html':
      return <div className="ol-nb-html" dangerouslySetInnerHTML={{ __html: o.html }} />;
    case 'image':
      return <img src={o.src} alt={`output of cell ${cell + 1}`} />;
    case 'payload':
      return <PayloadFigures mime={o.mime} payload={o.payload} cell={cell} index={index} />;
  }
}

export default function NotebookView({ nb }: { nb: Notebook }): ReactNode {
  return (
    <article data-notebook={nb.file} data-graded-lab={nb.lab ? '' : undefined}>
      <div className="ol-exercise__row">
        <a className="button button--primary button--sm" href={`/notebooks/${nb.file}`} download={downloadName(nb)}>Download {downloadName(nb)}{nb.lab ? ' (student version)' : ''}</a>
        {!nb.lab && <a className="button button--secondary button--sm" href={`${LAB_URL}${encodeURIComponent(nb.file)}`} target="_blank" rel="noreferrer" data-open-in-lab="">Open in the lab</a>}
      </div>
      {nb.lab && (
        <div className="alert alert--warning margin-vert--md" role="note" data-lab-banner="">
          <p className="margin-bottom--sm">
            <b>Graded lab, student version</b> (what <code>optilab assign release</code> hands out; {nb.lab.points} points when graded).
            Write your code in the cells that say <code>YOUR CODE HERE</code>; the tests cells run their <b>visible</b> checks here, in
            your browser, with the grader&apos;s own <code>check</code> and <code>expect</code>: the same points, partial credit and
            strictness about NaN.
          </p>
          <p className="margin-bottom--none">
            <b>Hidden tests run only when the instructor grades.</b> They are not on this page, so the visible score below is not
            your grade.
          </p>
        </div>
      )}
      {nb.outputsFrom === 'none' && !nb.lab && (
        <p className="ol-figure__caption" data-no-outputs="">
          This notebook is stored without outputs. Press <b>Run all</b> to run it here, run it in the lab, or run{' '}
          <code>npx optilab notebooks run --in-place notebooks/{nb.file}</code> and rebuild the site to show them here.
        </p>
      )}
      {nb.outputsFrom === 'local-run' && (
        <p className="ol-figure__caption">Outputs from a local run (<code>.cache/executed/{nb.file}</code>) until you run a cell here.</p>
      )}
      <NotebookRunner nb={nb} />
    </article>
  );
}

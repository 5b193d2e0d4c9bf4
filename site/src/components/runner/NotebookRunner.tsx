/**
 * The runnable notebook: editable code cells, Run cell / Run all / Interrupt / Restart, live outputs, the
 * compute backend and dataset download progress, autosave of edits (localStorage), Download .ipynb and Reset to
 * original. The session worker (TypeScript compiler, optilab, tfjs) loads only when a cell first runs.
 * On a graded lab's page (nb.lab) tests cells and locked cells are read-only, as in the student version; a
 * tests cell runs with the grader's check/expect and shows each visible check and the visible points.
 */
import React, { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { OutputView, downloadName, type Notebook, type Output } from '../NotebookView';
import type { LabChecksResult } from '@optilab/core';
import { NotebookSession } from './session';
import { appendOutput, labOnlyReason, type LiveOutput } from './outputs';
import type { FromWorker } from './protocol';
import type { FetchProgress } from './datasets';
import { DATASET_LABEL } from './dataset-names';
import { formatBytes } from './bytes';

type CellRun = { state: 'queued' | 'running' | 'ok' | 'error' | 'interrupted' | 'lab-only'; outputs: LiveOutput[]; count?: number };
type SessionState = 'not started' | 'starting' | 'idle' | 'busy' | 'interrupted';

const storageKey = (file: string) => `optilab-notebook:${file}`;

function loadEdits(file: string): Record<number, string> {
  try {
    return JSON.parse(window.localStorage.getItem(storageKey(file)) ?? '{}') as Record<number, string>;
  } catch {
    return {};
  }
}

function TrainBar({ p }: { p: Extract<LiveOutput, { kind: 'train' }>['p'] }): ReactNode {
  return (
    <div className="ol-nb-train" data-train-progress={p.fraction.toFixed(3)}>
      {p.tokensPerSecond !== undefined
        ? <><progress max={1} value={p.fraction} /> step {p.step}/{p.stepsPerEpoch}, loss {p.loss.toFixed(4)}, {Math.round(p.tokensPerSecond)} tokens/s
          {p.validationBpc !== undefined && <>, validation {p.validationBpc.toFixed(3)} bits/char</>}</>
        : <><progress max={1} value={p.fraction} /> epoch {p.epoch}/{p.epochs}, step {p.step}/{p.stepsPerEpoch}, loss {p.loss.toFixed(4)},{' '}
          {Math.round(p.imagesPerSecond)} images/s</>}
    </div>
  );
}

const fmtPoints = (p: number) => (Number.isInteger(p) ? String(p) : p.toFixed(2));

/** The visible checks of one run of a lab's tests cell, as the grader scores them. */
function ChecksView({ result, points }: { result: LabChecksResult; points: number }): ReactNode {
  return (
    <div className="ol-lab-checks" data-checks="" data-checks-earned={result.earned} data-checks-total={result.total}>
      <ul className="ol-tests margin-bottom--sm">
        {result.checks.map((c, k) => {
          const full = c.earned >= c.points;
          return (
            <li key={k} data-check={c.name} data-check-passed={full ? 'true' : 'false'} className={full ? 'ok' : 'bad'}>
              {full ? '✔' : c.earned > 0 ? '◐' : '✘'} <b>{c.name}</b>: {fmtPoints(c.earned)}/{fmtPoints(c.points)} point{c.points === 1 ? '' : 's'}
              {c.message && <> — <span data-check-message="">{c.message}</span></>}
            </li>
          );
        })}
      </ul>
      <div className="ol-figure__caption">
        Visible checks of this cell: <b>{fmtPoints(result.earned)} / {fmtPoints(result.total)}</b> points. The cell is worth {fmtPoints(points)} points
        when graded; the hidden tests decide the rest.
      </div>
    </div>
  );
}

function LiveOutputView({ o, cell, index }: { o: LiveOutput; cell: number; index: number }): ReactNode {
  if (o.kind === 'train') return <TrainBar p={o.p} />;
  return <OutputView o={o as Output} cell={cell} index={index} />;
}

export default function NotebookRunner({ nb }: { nb: Notebook }): ReactNode {
  const original = nb.cells.map((c) => (c.type === 'code' ? c.source : ''));
  const [sources, setSources] = useState<string[]>(original);
  const [runs, setRuns] = useState<Record<number, CellRun>>({});
  const [state, setState] = useState<SessionState>('not started');
  const [backend, setBackend] = useState<string | null>(null);
  const [data, setData] = useState<FetchProgress | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checks, setChecks] = useState<Record<number, LabChecksResult>>({});
  const [runAllCount, setRunAllCount] = useState(0);
  const session = useRef<NotebookSession | null>(null);
  const pending = useRef(new Map<number, (ok: boolean) => void>());
  const idToCell = useRef(new Map<number, number>());
  const nextId = useRef(1);
  const counter = useRef(0);
  const stopAll = useRef(false);

  useEffect(() => {
    const edits = loadEdits(nb.file);
    if (Object.keys(edits).length) setSources(original.map((s, i) => edits[i] ?? s));
    return () => session.current?.stop();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nb.file]);

  const onMessage = useCallback((m: FromWorker) => {
    if (m.type === 'backend') { setBackend(m.name); return; }
    if (m.type === 'data') { setData(m.p); return; }
    if (m.type === 'ready') return;
    const cell = idToCell.current.get(m.id);
    if (cell === undefined) return;
    if (m.type === 'checks') {
      setChecks((c) => ({ ...c, [cell]: m.result }));
      return;
    }
    if (m.type === 'started') {
      setState('busy');
      setRuns((r) => ({ ...r, [cell]: { ...r[cell], state: 'running' } }));
      return;
    }
    setRuns((r) => {
      const cur = r[cell] ?? { state: 'running', outputs: [] };
      const outputs = appendOutput(cur.outputs, m);
      if (m.type === 'done') return { ...r, [cell]: { ...cur, outputs, state: m.ok ? 'ok' : 'error', count: ++counter.current } };
      return { ...r, [cell]: { ...cur, outputs } };
    });
    if (m.type === 'done') {
      pending.current.get(m.id)?.(m.ok);
      pending.current.delete(m.id);
      if (pending.current.size === 0) setState('idle');
    }
  }, []);

  const runCell = useCallback((i: number, source: string): Promise<boolean> => {
    if (!session.current) {
      session.current = new NotebookSession(onMessage);
      setState('starting');
    }
    const id = nextId.current++;
    idToCell.current.set(id, i);
    setRuns((r) => ({ ...r, [i]: { state: 'queued', outputs: [] } }));
    const cellInfo = nb.cells[i];
    const tests = cellInfo?.type === 'code' && cellInfo.lab?.kind === 'tests';
    if (tests) setChecks((c) => { const next = { ...c }; delete next[i]; return next; });
    return new Promise<boolean>((resolve) => {
      pending.current.set(id, resolve);
      void session.current!.run(id, source, i + 1, tests);
    });
  }, [onMessage, nb.cells]);

  const stopSession = useCallback((why: 'interrupted' | 'restarted') => {
    stopAll.current = true;
    session.current?.stop();
    session.current = null;
    setBackend(null);
    const stopped = new Set<number>();
    for (const [id, resolve] of pending.current) {
      const cell = idToCell.current.get(id);
      if (cell !== undefined) stopped.add(cell);
      resolve(false);
    }
    pending.current.clear();
    // check results belong to the session that is gone
    setChecks({});
    setRuns((r) => {
      const next = { ...r };
      for (const c of stopped) {
        const cur = next[c] ?? { state: 'queued', outputs: [] };
        next[c] = { ...cur, state: 'interrupted', outputs: [...cur.outputs, { kind: 'error', text: why === 'interrupted' ? 'Interrupted: the session was stopped and its state is gone. Run the cells again (from the top) to continue.' : 'Not run: the session was restarted.' }] };
      }
      return next;
    });
    setState(why === 'interrupted' ? 'interrupted' : 'not started');
    setNotice(why === 'interrupted'
      ? `Interrupted at ${new Date().toLocaleTimeString()}: the session was stopped (variables are gone). Press Run all or run cells again.`
      : 'Restarted: a fresh session starts when you run a cell.');
  }, []);

  const runAll = useCallback(async () => {
    try {
      await runAllCells();
    } finally {
      setRunAllCount((n) => n + 1);
    }
  // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nb.cells, sources, runCell]);

  const runAllCells = async () => {
    stopAll.current = false;
    setNotice(null);
    for (let i = 0; i < nb.cells.length; i++) {
      if (nb.cells[i].type !== 'code') continue;
      if (stopAll.current) return;
      const why = labOnlyReason(sources[i]);
      if (why) {
        setRuns((r) => ({ ...r, [i]: { state: 'lab-only', outputs: [{ kind: 'error', text: `Not run in the browser: this cell ${why}, which runs only in the lab (optilab lab). Run all continues with the next cell.` }] } }));
        continue;
      }
      const ok = await runCell(i, sources[i]);
      if (!ok) {
        if (!stopAll.current) setNotice(`Run all stopped at cell ${i + 1}: it raised an error (see below).`);
        return;
      }
    }
  };

  const edit = (i: number, v: string) => {
    setSources((s) => {
      const next = s.map((x, k) => (k === i ? v : x));
      const edits: Record<number, string> = {};
      next.forEach((x, k) => { if (x !== original[k]) edits[k] = x; });
      try { window.localStorage.setItem(storageKey(nb.file), JSON.stringify(edits)); } catch { /* storage full or disabled */ }
      return next;
    });
  };

  const reset = () => {
    if (!window.confirm('Discard your edits of this notebook and go back to the original?')) return;
    window.localStorage.removeItem(storageKey(nb.file));
    setSources(original);
  };

  const download = async () => {
    const res = await fetch(`/notebooks/${nb.file}`);
    const ipynb = (await res.json()) as { cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null }[] };
    ipynb.cells.forEach((c, i) => {
      if (c.cell_type === 'code' && sources[i] !== undefined && sources[i] !== original[i]) {
        c.source = sources[i].split(/(?<=\n)/);
        c.outputs = [];
        c.execution_count = null;
      }
    });
    const url = URL.createObjectURL(new Blob([JSON.stringify(ipynb, null, 1) + '\n'], { type: 'application/x-ipynb+json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = downloadName(nb);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const edited = sources.some((s, i) => s !== original[i]);
  // The visible score: every tests cell's visible checks that ran, counted as the grader counts them.
  const scored = Object.values(checks);
  const visible = scored.reduce((t, r) => ({ earned: t.earned + r.earned, total: t.total + r.total }), { earned: 0, total: 0 });
  const testsCells = nb.lab?.testsCells ?? 0;
  const busy = state === 'busy' || state === 'starting';
  return (
    <>
      <div className="ol-nb-toolbar" data-session-state={state} data-backend={backend ?? ''} data-run-all-done={runAllCount}>
        <button type="button" className="button button--primary button--sm" onClick={() => void runAll()} data-run-all="">Run all</button>
        <button type="button" className="button button--secondary button--sm" onClick={() => stopSession('interrupted')} disabled={!busy} data-interrupt="">Interrupt</button>
        <button type="button" className="button button--secondary button--sm" onClick={() => stopSession('restarted')} data-restart="">Restart</button>
        <button type="button" className="button button--secondary button--sm" onClick={() => void download()} data-download="">Download .ipynb</button>
        <button type="button" className="button button--secondary button--sm" onClick={reset} disabled={!edited} data-reset="">Reset to original</button>
        <span className="ol-nb-status">
          Session: <b data-state="">{state}</b>
          {backend && <> · tfjs backend: <b data-backend-name="">{backend}</b></>}
          {data && <> · <span data-dataset={data.dataset}>{DATASET_LABEL[data.dataset]}</span> {data.file}: <span data-mnist-status="">{data.fromCache ? (data.done ? 'loaded from the browser cache' : 'reading the browser cache') : data.done ? 'downloaded' : 'downloading'}</span> <span data-mnist-size="">{data.done ? formatBytes(data.total || data.loaded) : `${formatBytes(data.loaded)}${data.total ? ` / ${formatBytes(data.total)}` : ''}`}</span>
            {data.total > 0 && !data.done && <progress max={data.total} value={data.loaded} data-mnist-progress="" />}</>}
          {edited && <> · <span data-edited="">your edits are saved in this browser</span></>}
        </span>
      </div>
      {notice && <p className="ol-figure__caption" role="status" data-notice="">{notice}</p>}
      {nb.lab && (
        <p className="ol-lab-score" role="status" data-visible-score={scored.length ? `${visible.earned}/${visible.total}` : ''} data-tests-cells-run={scored.length}>
          {scored.length
            ? <>Visible checks: <b data-visible-earned="">{fmtPoints(visible.earned)}</b> / <b data-visible-total="">{fmtPoints(visible.total)}</b> points
                ({scored.length} of {testsCells} tests cells run). Not your grade: the lab is worth {fmtPoints(nb.lab.points)} points when the instructor grades it with the hidden tests.</>
            : <>Visible checks: not run yet. Press <b>Run all</b> (or run a tests cell) to check your answers.</>}
        </p>
      )}
      <p className="ol-figure__caption">
        Cells run in your browser (TypeScript compiled here, a Web Worker per session, the same optilab library, quick mode).
        Files a cell writes stay in this page's memory, ONNX models run on onnxruntime-web, and pages you have opened work offline. Cells
        that need a compiler, Python or Node's zlib say so and run only in the lab.
      </p>
      {nb.cells.map((c, i) => {
        if (c.type === 'markdown') return <div key={i} className="ol-nb-cell markdown" dangerouslySetInnerHTML={{ __html: c.html }} />;
        if (c.type === 'raw') return <pre key={i}>{c.text}</pre>;
        const run = runs[i];
        const why = labOnlyReason(sources[i]);
        const rows = Math.max(2, sources[i].split('\n').length);
        const role = c.lab;
        const readOnly = role !== undefined && role.kind !== 'answer';
        return (
          <div key={i} className="ol-nb-cell" data-cell={i} data-cell-state={run?.state ?? 'stored'} data-lab-cell={role?.kind}>
            <div className="ol-nb-prompt">
              <span className="ol-nb-cellno" title="errors name cells by this number">cell {i + 1}</span>{' '}
              In [{run ? (run.state === 'ok' || run.state === 'error' ? run.count : '*') : c.count ?? ' '}]:{' '}
              <button type="button" className="button button--link button--sm" onClick={() => { stopAll.current = false; void runCell(i, sources[i]); }} data-run-cell="">▶ Run cell</button>
              {why && <span className="badge badge--warning" data-lab-only="">lab only: {why}</span>}
              {role?.kind === 'answer' && <span className="badge badge--primary">your answer</span>}
              {role?.kind === 'tests' && <span className="badge badge--secondary">tests: {fmtPoints(role.points)} points when graded (visible checks run here, hidden ones only when grading)</span>}
              {role?.kind === 'locked' && <span className="badge badge--secondary">locked</span>}
            </div>
            <textarea className="ol-nb-editor" spellCheck={false} value={sources[i]} rows={rows} readOnly={readOnly} onChange={(e) => { if (!readOnly) edit(i, e.target.value); }}
              onKeyDown={(e) => { if (e.key === 'Enter' && e.shiftKey) { e.preventDefault(); stopAll.current = false; void runCell(i, sources[i]); } }} aria-label={`code cell ${i + 1}`} />
            <div className="ol-nb-output" data-outputs={run ? 'live' : 'stored'}>
              {run
                ? run.outputs.map((o, j) => <LiveOutputView key={j} o={o} cell={i} index={j} />)
                : c.outputs.map((o, j) => <OutputView key={j} o={o} cell={i} index={j} />)}
              {role?.kind === 'tests' && checks[i] && <ChecksView result={checks[i]} points={role.points} />}
            </div>
          </div>
        );
      })}
    </>
  );
}

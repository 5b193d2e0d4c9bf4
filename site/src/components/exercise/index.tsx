/**
 * <Exercise id="..."/>: one exercise of the chapter catalog (src/exercises in the library), checked in the
 * browser. Numeric and choice answers use the library's checkers; code runs in a Web Worker with a time
 * limit. Progress (best score, solved, last answer) is kept in localStorage.
 */
import React, { useEffect, useState, type ReactNode } from 'react';
import {
  chapterExercises, checkChoice, checkNumeric, DEFAULT_TIME_LIMIT_MS, getExercise, loadProgress, recordAttempt,
  type CheckResult, type CodeExercise, type ChoiceExercise, type ExerciseProgress, type NumericExercise,
} from '@optilab/lite';
import html from '@site/src/generated/exercises.json';
import { runInWorker } from './run-in-worker';

function Feedback({ result }: { result: CheckResult | null }) {
  if (!result) return null;
  return (
    <div className={`ol-feedback ${result.correct ? 'ol-feedback--ok' : 'ol-feedback--bad'}`} role="status" data-correct={String(result.correct)}>
      {result.message}
      {result.tests && result.tests.length > 0 && (
        <ul className="ol-tests">
          {result.tests.map((t) => (
            <li key={t.name} className={t.passed ? 'ok' : 'bad'}>
              {t.passed ? '✔' : '✘'} {t.name} ({t.earned}/{t.points}){t.passed ? '' : `: ${t.message}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function useProgress(id: string): [ExerciseProgress | undefined, (r: CheckResult, answer: string | string[]) => void] {
  const [p, setP] = useState<ExerciseProgress | undefined>(undefined);
  useEffect(() => setP(loadProgress(window.localStorage)[id]), [id]);
  return [p, (r, answer) => setP(recordAttempt(window.localStorage, id, r, answer))];
}

function NumericBody({ ex, saved, save }: { ex: NumericExercise; saved?: ExerciseProgress; save: (r: CheckResult, a: string) => void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<CheckResult | null>(null);
  useEffect(() => { if (typeof saved?.answer === 'string' && text === '') setText(saved.answer); }, [saved]);
  const submit = () => { const r = checkNumeric(ex, text); setResult(r); save(r, text); };
  return (
    <>
      <div className="ol-exercise__row">
        <input type="text" inputMode="decimal" value={text} aria-label="answer" onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') submit(); }} />
        {ex.unit && <span>{ex.unit}</span>}
        <button type="button" className="button button--primary button--sm" onClick={submit}>Check</button>
      </div>
      <Feedback result={result} />
    </>
  );
}

function ChoiceBody({ ex, saved, save }: { ex: ChoiceExercise; saved?: ExerciseProgress; save: (r: CheckResult, a: string[]) => void }) {
  const [picked, setPicked] = useState<string[]>([]);
  const [result, setResult] = useState<CheckResult | null>(null);
  useEffect(() => { if (Array.isArray(saved?.answer) && picked.length === 0) setPicked(saved.answer); }, [saved]);
  const opts = html[ex.id]?.options ?? {};
  const toggle = (id: string) => setPicked((p) => (ex.multiple ? (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]) : [id]));
  const submit = () => { const r = checkChoice(ex, picked); setResult(r); save(r, picked); };
  return (
    <>
      {ex.options.map((o) => (
        <label key={o.id} className="ol-exercise__choice">
          <input type={ex.multiple ? 'checkbox' : 'radio'} name={ex.id} value={o.id} checked={picked.includes(o.id)} onChange={() => toggle(o.id)} />{' '}
          <span dangerouslySetInnerHTML={{ __html: opts[o.id] ?? o.text }} />
        </label>
      ))}
      <div className="ol-exercise__row">
        <button type="button" className="button button--primary button--sm" onClick={submit}>Check</button>
      </div>
      <Feedback result={result} />
    </>
  );
}

function CodeBody({ ex, saved, save }: { ex: CodeExercise; saved?: ExerciseProgress; save: (r: CheckResult, a: string) => void }) {
  const [code, setCode] = useState(ex.starter);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<CheckResult | null>(null);
  const [showTests, setShowTests] = useState(false);
  useEffect(() => { if (typeof saved?.answer === 'string' && code === ex.starter) setCode(saved.answer); }, [saved]);
  const limit = ex.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const run = async () => {
    setRunning(true);
    setResult(null);
    const r = await runInWorker(code, ex.tests, limit);
    setRunning(false);
    setResult(r);
    save({ ...r, points: ex.points }, code);
  };
  return (
    <>
      <textarea value={code} spellCheck={false} aria-label="your code" onChange={(e) => setCode(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Tab') {
            e.preventDefault();
            const t = e.currentTarget;
            const s = t.selectionStart;
            setCode(code.slice(0, s) + '  ' + code.slice(t.selectionEnd));
            requestAnimationFrame(() => { t.selectionStart = t.selectionEnd = s + 2; });
          }
        }} />
      <div className="ol-exercise__row">
        <button type="button" className="button button--primary button--sm" onClick={run} disabled={running}>{running ? 'Running…' : 'Run tests'}</button>
        <button type="button" className="button button--secondary button--sm" onClick={() => setCode(ex.starter)}>Reset</button>
        <button type="button" className="button button--secondary button--sm" onClick={() => setShowTests((v) => !v)}>{showTests ? 'Hide tests' : 'Show tests'}</button>
        <span className="ol-exercise__badge">TypeScript · time limit {limit / 1000} s</span>
      </div>
      {showTests && <pre><code>{ex.tests}</code></pre>}
      <Feedback result={result} />
    </>
  );
}

export default function Exercise({ id }: { id: string }): ReactNode {
  const ex = getExercise(id);
  const [saved, save] = useProgress(id);
  const h = html[id];
  const kind = ex.kind === 'code' ? 'Code exercise' : ex.kind === 'numeric' ? 'Numeric question' : 'Multiple choice';
  return (
    <section className="ol-exercise" data-exercise={id} data-kind={ex.kind}>
      <div className="ol-exercise__head">
        <span>{kind}: {ex.title}</span>
        <span className="ol-exercise__badge">
          {ex.points} pt{ex.points > 1 ? 's' : ''}
          {saved?.solved && <span className="ol-exercise__solved"> · ✔ solved</span>}
        </span>
      </div>
      <div dangerouslySetInnerHTML={{ __html: h?.prompt ?? ex.prompt }} />
      {ex.kind === 'numeric' && <NumericBody ex={ex} saved={saved} save={save} />}
      {ex.kind === 'choice' && <ChoiceBody ex={ex} saved={saved} save={save} />}
      {ex.kind === 'code' && <CodeBody ex={ex} saved={saved} save={save} />}
    </section>
  );
}

/** The reader's progress over the whole chapter (the Progress page). */
export function ProgressTable(): ReactNode {
  const [rows, setRows] = useState<{ id: string; title: string; section: string; points: number; p?: ExerciseProgress }[] | null>(null);
  useEffect(() => {
    // The whole catalog (already in this bundle: getExercise reads it), so the table lists every exercise without the
    // page importing them one by one; read in an effect, since the progress lives in the browser's localStorage.
    const saved = loadProgress(window.localStorage);
    setRows(chapterExercises.map((e) => ({ id: e.id, title: e.title, section: e.section ?? '', points: e.points, p: saved[e.id] })));
  }, []);
  if (!rows) return <p>Loading your progress…</p>;
  const earned = rows.reduce((s, r) => s + (r.p?.best ?? 0), 0);
  const total = rows.reduce((s, r) => s + r.points, 0);
  return (
    <div data-progress-table="">
      <p><strong>{rows.filter((r) => r.p?.solved).length}</strong> of {rows.length} exercises solved · {earned} / {total} points</p>
      <div style={{ overflowX: 'auto' }}>
        <table>
          <thead><tr><th>exercise</th><th>page</th><th>best</th><th>attempts</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{r.p?.solved ? '✔ ' : ''}{r.title}</td>
                <td><a href={`/${r.section.replace('overview#', '#')}`}>{r.section.split('#')[0]}</a></td>
                <td>{r.p ? `${r.p.best}/${r.points}` : '–'}</td>
                <td>{r.p?.attempts ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" className="button button--secondary button--sm" onClick={() => { window.localStorage.removeItem('optilab.exercises.v1'); window.location.reload(); }}>Reset my progress</button>
    </div>
  );
}

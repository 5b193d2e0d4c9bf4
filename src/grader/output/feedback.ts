/**
 * Per-student feedback: a self-contained HTML page (no scripts, no external resources) with the score, every
 * check with its points and message, the errors of the student's own cells, and what the grader ignored;
 * and the Gradescope-compatible results.json.
 */
import { roundScore, SubmissionResult } from './result';

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function pts(x: number): string {
  const r = roundScore(x);
  return Number.isInteger(r) ? String(r) : r.toFixed(2);
}

/**
 * Renders the feedback page of one result.
 *
 * @example
 * fs.writeFileSync('alice.html', renderFeedback(result));
 */
export function renderFeedback(r: SubmissionResult): string {
  const pct = r.maxScore > 0 ? Math.round((100 * r.score) / r.maxScore) : 0;
  const rows = r.tests
    .map((t) => {
      const checks = t.checks.length
        ? t.checks
            .map((c) => {
              const state = c.earned >= c.points ? 'pass' : c.earned > 0 ? 'partial' : 'fail';
              return `<li class="${state}" data-testid="check"><span class="mark">${state === 'pass' ? '✔' : state === 'partial' ? '◐' : '✘'}</span> <b>${esc(c.name)}</b> <span class="pts">${pts(c.earned)}/${pts(c.points)}</span>${c.hidden ? ' <span class="hidden" data-testid="hidden">hidden test</span>' : c.message ? `<div class="msg">${esc(c.message)}</div>` : ''}</li>`;
            })
            .join('')
        : '';
      return `<section class="test" data-testid="test" data-grade-id="${esc(t.gradeId)}"><h3>${esc(t.gradeId)} <span class="pts" data-testid="test-points">${pts(t.earned)} / ${pts(t.points)}</span></h3>${t.message ? `<p class="why">${esc(t.message)}</p>` : ''}<ul>${checks}</ul></section>`;
    })
    .join('\n');
  const cellErrors = r.cells
    .filter((c) => c.kind !== 'tests' && c.error)
    .map((c) => `<section class="cell-error" data-testid="cell-error"><h4>${esc(c.kind === 'locked' ? `locked cell ${c.gradeId}` : `your cell ${c.gradeId}`)} (${esc(c.status)})</h4><pre>${esc(c.error.slice(0, 3000))}</pre></section>`)
    .join('\n');
  const notes = r.notes.length ? `<section class="notes" data-testid="notes"><h2>Notes from the grader</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.assignment)} — feedback for ${esc(r.student)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{font-size:1.4rem;margin-bottom:.2rem} .score{font-size:2rem;font-weight:700} .bar{height:.6rem;background:#e6e9ee;border-radius:.3rem;overflow:hidden;margin:.4rem 0 1.4rem}
.bar>div{height:100%;background:#2f7d4a} section.test{border:1px solid #d8dde3;border-radius:.4rem;padding:.2rem 1rem;margin:.8rem 0}
h3{display:flex;justify-content:space-between;font-size:1.05rem} ul{list-style:none;padding-left:0} li{margin:.35rem 0}
.pass .mark{color:#2f7d4a} .partial .mark{color:#b7791f} .fail .mark{color:#c53030} .pts{font-variant-numeric:tabular-nums;color:#4a5568}
.hidden{color:#4a5568;font-style:italic} .msg{margin:.2rem 0 0 1.4rem;color:#742a2a;white-space:pre-wrap} .why{color:#742a2a} pre{background:#f6f8fa;padding:.6rem;overflow:auto;white-space:pre-wrap}
.invalid{background:#fff5f5;border:1px solid #feb2b2;padding:.6rem 1rem;border-radius:.4rem}
</style></head><body>
<h1>${esc(r.assignment)}</h1>
<p>Feedback for <b data-testid="student">${esc(r.student)}</b>, graded ${esc(r.gradedAt)}</p>
<div class="score" data-testid="score">${pts(r.score)} / ${pts(r.maxScore)}</div>
<div class="bar" role="img" aria-label="${pct}%"><div style="width:${pct}%"></div></div>
${r.status === 'invalid' ? `<p class="invalid" data-testid="invalid">This submission could not be graded. ${esc(r.notes.join(' '))}</p>` : ''}
<h2>Tests</h2>
${rows}
${cellErrors ? `<h2>Errors in your notebook</h2>\n${cellErrors}` : ''}
${notes}
</body></html>
`;
}

/**
 * The Gradescope autograder results.json of one result (one test entry per tests cell).
 *
 * @example
 * fs.writeFileSync('results.json', JSON.stringify(gradescopeResults(result)));
 */
export function gradescopeResults(r: SubmissionResult): Record<string, unknown> {
  return {
    score: roundScore(r.score),
    execution_time: Math.round(r.seconds),
    output: r.status === 'invalid' ? `This submission could not be graded. ${r.notes.join(' ')}` : r.notes.join('\n'),
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: r.tests.map((t) => ({
      name: t.gradeId,
      score: roundScore(t.earned),
      max_score: t.points,
      status: t.earned >= t.points ? 'passed' : 'failed',
      output: [t.message, ...t.checks.map((c) => `${c.earned >= c.points ? 'PASS' : 'FAIL'} ${c.name} (${pts(c.earned)}/${pts(c.points)})${c.hidden ? ' (hidden test)' : c.message ? `: ${c.message}` : ''}`)].filter(Boolean).join('\n'),
      visibility: 'visible',
    })),
  };
}

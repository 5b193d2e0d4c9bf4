/**
 * `npm run bench -- grading [--n 100] [--baseline-n N] [--lab quantization-lab] [--jobs J]`: grades N submissions
 * of a graded lab with `optilab grade` (sandboxed kernels, warm pool, J parallel jobs) and, in the same run,
 * grades them one after another the way nbgrader does: each submission's autograded notebook (answers from
 * the submission, tests and hidden tests from the source) executed by `jupyter nbconvert --execute` on the
 * tslab kernel. Reports submissions per minute, seconds per submission, and the grader's per-submission
 * overhead (time not spent executing cells). --baseline-n grades only the first N with nbconvert (a sample,
 * to keep the run short; its rate is extrapolated per submission and said so in the notes).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeSource, cellSource, MARKERS, Notebook, parseNotebook, release, toSourceLines } from '../src/grader/assignment/format';
import { gradeSubmissions } from '../src/grader/engine/grade';
import { defaultGradingJobs } from '../src/grader/engine/jobs';
import { planSubmission } from '../src/grader/assignment/plan';
import { SubmissionResult } from '../src/grader/output/result';
import { jupyterEnv } from '../src/lab/checkout';
import { benchFlag, type BenchReport } from './harness';

const ROOT = path.resolve(__dirname, '..');

/** The solution code of a solution cell (markers removed). */
function solutionText(source: string): string {
  return source
    .split('\n')
    .filter((l) => l.trim() !== MARKERS.beginSolution && l.trim() !== MARKERS.endSolution)
    .join('\n');
}

/** Submission i: the released notebook with some tasks solved (bit k of i % 2^tasks = task k solved). */
function makeSubmission(source: Notebook, i: number): Notebook {
  const student = release(source);
  const solutions = source.cells.filter((c) => c.metadata?.nbgrader?.solution);
  let k = 0;
  for (const cell of student.cells) {
    const id = cell.metadata?.nbgrader?.grade_id;
    const src = solutions.find((s) => s.metadata.nbgrader.grade_id === id);
    if (!src) continue;
    const solved = ((i >> k) & 1) === 1 || i % 5 === 0;
    if (solved) cell.source = toSourceLines(solutionText(cellSource(src)));
    k++;
  }
  return student;
}

/** What nbgrader's autograde step executes: the plan of the submission as a notebook. */
function autogradedNotebook(source: Notebook, submission: Notebook): Notebook {
  const { plan } = planSubmission(analyzeSource(source).cells, submission);
  return {
    ...source,
    cells: plan.map((p, i) => ({ cell_type: 'code', id: `a${i}`, metadata: {}, source: toSourceLines(p.source), outputs: [], execution_count: null })),
  };
}

export async function run(args: string[]): Promise<BenchReport> {
  const n = Number(benchFlag(args, 'n', '100'));
  const baselineN = Math.min(n, Number(benchFlag(args, 'baseline-n', String(n))));
  const lab = benchFlag(args, 'lab', 'quantization-lab');
  const jobs = Number(benchFlag(args, 'jobs', String(defaultGradingJobs())));
  const sourceFile = path.join(ROOT, 'notebooks', 'labs', `${lab}.ipynb`);
  const source = parseNotebook(fs.readFileSync(sourceFile, 'utf8'), lab);
  // Inside the checkout (.cache is ignored by git) so tslab under nbconvert resolves @types/node and optilab.
  const work = fs.mkdtempSync(path.join(ROOT, '.cache', 'bench-grading-'));
  const subs = path.join(work, 'submissions');
  const auto = path.join(work, 'autograded');
  fs.mkdirSync(subs, { recursive: true });
  fs.mkdirSync(auto, { recursive: true });
  const submissions: Notebook[] = [];
  for (let i = 0; i < n; i++) {
    const s = makeSubmission(source, i);
    submissions.push(s);
    fs.writeFileSync(path.join(subs, `student${String(i).padStart(3, '0')}.ipynb`), JSON.stringify(s));
  }
  // Kernels start from a kernel image (src/grader/kernel/kernel-image.ts): drop any cached one so that building it
  // is part of the measured time (the first optilab part pays for it).
  const imageDir = path.join(ROOT, '.cache', 'kernel-image');
  fs.rmSync(imageDir, { recursive: true, force: true });
  try {
    // The machine is shared, so its load drifts: measure in A B B A order (optilab on the first half,
    // nbconvert on the first half, nbconvert on the second half, optilab on the second half) and add up.
    const half = Math.ceil(n / 2);
    const baseHalf = Math.ceil(baselineN / 2);
    const groups = [Array.from({ length: half }, (_, i) => i), Array.from({ length: n - half }, (_, i) => half + i)];
    const baseGroups = [Array.from({ length: baseHalf }, (_, i) => i), Array.from({ length: baselineN - baseHalf }, (_, i) => half + i).filter((i) => i < n)];
    const gradedDirs: string[] = [];
    const t0 = performance.now();
    let oursSeconds = 0;
    let baseSeconds = 0;
    let baselineFailures = 0;
    const env = jupyterEnv(ROOT);
    const ours = async (g: number) => {
      const dir = path.join(subs, `part${g}`);
      fs.mkdirSync(dir, { recursive: true });
      for (const i of groups[g]) fs.renameSync(path.join(subs, `student${String(i).padStart(3, '0')}.ipynb`), path.join(dir, `student${String(i).padStart(3, '0')}.ipynb`));
      const out = path.join(work, `graded${g}`);
      gradedDirs.push(out);
      const t = performance.now();
      const summary = await gradeSubmissions({
        source: sourceFile,
        submissions: dir,
        out,
        repo: ROOT,
        concurrency: jobs,
        onProgress: (e) => {
          if (e.done % 10 === 0 || e.done === e.total) process.stderr.write(`optilab grade (part ${g + 1}): ${e.done}/${e.total} (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
        },
      });
      oursSeconds += (performance.now() - t) / 1000;
      if (summary.failed.length) throw new Error(`the grader failed on ${summary.failed.length} submissions: ${summary.failed[0].error}`);
    };
    const base = (g: number) => {
      const t = performance.now();
      for (const i of baseGroups[g]) {
        const file = path.join(auto, `student${String(i).padStart(3, '0')}.ipynb`);
        fs.writeFileSync(file, JSON.stringify(autogradedNotebook(source, submissions[i])));
        const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--ExecutePreprocessor.kernel_name=tslab', '--ExecutePreprocessor.timeout=120', '--output-dir', path.join(work, 'executed'), file], { env, encoding: 'utf8' });
        if (r.status !== 0) baselineFailures++;
      }
      baseSeconds += (performance.now() - t) / 1000;
      process.stderr.write(`nbconvert --execute (part ${g + 1}): ${baseGroups[g].length} in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
    };
    await ours(0);
    base(0);
    base(1);
    await ours(1);
    void t0;
    const results: SubmissionResult[] = gradedDirs.flatMap((d) => fs.readdirSync(path.join(d, 'results')).map((f) => JSON.parse(fs.readFileSync(path.join(d, 'results', f), 'utf8'))));
    const cellSeconds = results.reduce((s, r) => s + r.cells.reduce((a, c) => a + c.seconds, 0), 0) / results.length;
    const inGrader = results.reduce((s, r) => s + r.seconds, 0) / results.length;
    const oursPerMin = (60 * n) / oursSeconds;
    const basePerMin = (60 * baselineN) / baseSeconds;
    const scores = results.map((r) => r.score);
    return {
      rows: [
        { method: `optilab grade (${jobs} jobs, sandboxed, warm pool)`, submissions: n, seconds: oursSeconds, perMinute: oursPerMin, secondsPerSubmission: oursSeconds / n, overheadSeconds: inGrader - cellSeconds, speedup: oursPerMin / basePerMin },
        { method: 'nbconvert --execute, one after another', submissions: baselineN, seconds: baseSeconds, perMinute: basePerMin, secondsPerSubmission: baseSeconds / baselineN, overheadSeconds: null, speedup: 1 },
      ],
      columns: [
        ['method', (r) => r.method as string],
        ['submissions', (r) => r.submissions as number],
        ['seconds', (r) => r.seconds as number],
        ['per minute', (r) => r.perMinute as number],
        ['s / submission', (r) => r.secondsPerSubmission as number],
        ['overhead s', (r) => r.overheadSeconds as number | null],
        ['speedup', (r) => r.speedup as number],
      ],
      notes: [
        `lab ${lab}; ${os.cpus().length} cores; measured in A B B A order (optilab, nbconvert, nbconvert, optilab on halves of the submissions); load average at the end ${os.loadavg()[0].toFixed(1)}`,
        `optilab grade: mean ${inGrader.toFixed(2)} s per submission inside the grader, of which ${cellSeconds.toFixed(2)} s executing cells; the overhead column is the rest (waiting for a pool kernel, result channel, replays)`,
        `kernels start from a kernel image (${fs.existsSync(imageDir) ? 'built during the first optilab part, included in its time' : 'not available on this machine'})`,
        `scores: min ${Math.min(...scores)}, max ${Math.max(...scores)}, mean ${(scores.reduce((a, b) => a + b, 0) / scores.length).toFixed(2)} of ${results[0]?.maxScore}`,
        ...(baselineN < n ? [`nbconvert graded a sample of the first ${baselineN} submissions; its rate is per submission`] : []),
        ...(baselineFailures ? [`nbconvert failed on ${baselineFailures} notebooks`] : []),
      ],
      extra: { lab, jobs, baselineFailures },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Sandbox limits in force on this machine (src/grader/kernel/sandbox.ts): under --memory 256 a thread flood and a
// memory hog are stopped, their honest answers still graded, and a bystander graded as if alone.
// Real tslab kernels in bubblewrap: run by scripts/test.d/40-grader.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { gradeSubmissions } from '../../src/grader/engine/grade';
import { SubmissionResult } from '../../src/grader/output/result';
import { DEFAULT_LIMITS } from '../../src/grader/trusted/runner';
import { sandboxReport } from '../../src/grader/kernel/sandbox';
import { ROOT } from '../helpers';
import { MINI, notebook, readResults } from './notebooks';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-limits-'));
const GOOD_CLAMP = 'function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }';
const GOOD_MEAN = 'function mean(xs: number[]): number { let s = 0; for (const x of xs) s += x; return s / xs.length; }';
const ATTACKS: Record<string, string> = {
  bystander: '',
  // worker threads of optilab's own training entry are allowed: each is a task the pids limit counts
  thread_flood: [
    "const { Worker } = require('worker_threads');",
    "const entry = require('fs').realpathSync(require('path').dirname(require.resolve('optilab/package.json'))) + '/dist/train/parallel-worker.js';",
    'let started = 0; const ws: any[] = [];',
    "try { for (let i = 0; i < 400; i++) { ws.push(new Worker(entry, { resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } })); started++; } } catch (e) { console.log('worker refused:', String(e).slice(0, 80)); }",
    "console.log('FLOOD started', started);",
    'await new Promise((r) => setTimeout(r, 3000));',
  ].join('\n'),
  memory_hog: [
    'const keep: Buffer[] = [];',
    "try { for (let i = 0; i < 64; i++) keep.push(Buffer.alloc(16 << 20, 1)); console.log('HOG kept', keep.length * 16, 'MiB'); } catch (e) { console.log('allocation refused after', keep.length * 16, 'MiB'); }",
  ].join('\n'),
};
let results: Map<string, SubmissionResult>;

before(async () => {
  const source = path.join(work, 'mini.ipynb');
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  const subs = path.join(work, 'subs');
  fs.mkdirSync(subs);
  for (const [name, attack] of Object.entries(ATTACKS)) {
    const nb: any = release(notebook(MINI) as any);
    const cells: any[] = [];
    for (const c of nb.cells) {
      const id = c.metadata?.nbgrader?.grade_id;
      if (id === 'clamp') c.source = GOOD_CLAMP;
      if (id === 'mean') c.source = GOOD_MEAN;
      cells.push(c);
      if (id === 'clamp' && attack) cells.push({ cell_type: 'code', metadata: {}, source: attack, outputs: [], execution_count: null });
    }
    nb.cells = cells;
    fs.writeFileSync(path.join(subs, `${name}.ipynb`), JSON.stringify(nb));
  }
  const out = path.join(work, 'out');
  const s = await gradeSubmissions({
    source,
    submissions: subs,
    out,
    repo: ROOT,
    concurrency: 2,
    limits: { ...DEFAULT_LIMITS, cellTimeoutMs: 20_000, notebookTimeoutMs: 120_000 },
    sandboxLimits: { memoryMiB: 256, maxProcesses: 64 },
  });
  assert.deepEqual(s.failed, []);
  results = readResults(out);
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('the grading summary names the limits in force, and on this machine processes and memory are both limited', () => {
  const report = sandboxReport() ?? '';
  // the data rlimit counts reserved address space: at 256 MiB itself an honest kernel could not start
  assert.match(report, /^limits: JavaScript heap 192 MiB, address space for data 704 MiB per process \(rlimit\)/);
  assert.match(report, /scratch 256 MiB, \/tmp 64 MiB/);
  // this CI machine has cgroup v1 pids and memory (v2 is covered by tests/grader/kernel/sandbox.test.ts)
  assert.match(report, /processes <= 64 \(cgroup v[12] pids\.max\)/, report);
  assert.match(report, /memory <= 320 MiB for the whole sandbox/, report);
  assert.match(report, /; no new processes \(seccomp\)/, report);
  assert.doesNotMatch(report, /NOT in force/, report);
});

test('a thread flood and a memory hog are stopped; every honest answer is graded, the bystander as if alone', () => {
  for (const name of Object.keys(ATTACKS)) assert.equal(results.get(name)?.score, 5, `${name}: ${JSON.stringify(results.get(name)?.cells.map((c) => [c.status, c.output.slice(0, 200), c.error.slice(0, 200)]))}`);
  assert.equal(results.get('bystander')!.restarts, 0);
  const out = (name: string) => results.get(name)!.cells.map((c) => `${c.output}${c.error}`).join('\n');
  for (const name of ['thread_flood', 'memory_hog']) {
    const r = results.get(name)!;
    // the attack cell (right after the clamp answer) ended its kernel; a fresh one replayed the rest
    const attack = r.cells[2];
    assert.ok(attack.status === 'died' || attack.status === 'error', `${name}: ${JSON.stringify(attack)}`);
    assert.doesNotMatch(out(name), /HOG kept 1024|FLOOD started 400/);
    assert.ok(r.restarts >= 1 || /refused/.test(out(name)), name);
    console.log(name, JSON.stringify(attack.status), attack.error.slice(0, 120), out(name).slice(0, 120));
  }
});

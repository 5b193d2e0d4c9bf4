// Adversarial submissions: each must end with the grade its honest part deserves and an intact gradebook.
// Graded in one real run (sandboxed tslab kernels, short limits) by scripts/test.d/40-grader.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { gradeSubmissions, GradeSummary } from '../../src/grader/engine/grade';
import { Gradebook } from '../../src/grader/output/gradebook';
import { SubmissionResult } from '../../src/grader/output/result';
import { DEFAULT_LIMITS } from '../../src/grader/trusted/runner';
import { ROOT } from '../helpers';
import { MINI, notebook } from './notebooks';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-adv-'));
const subsDir = path.join(work, 'submissions');
const outDir = path.join(work, 'out');
const sourceFile = path.join(work, 'source', 'mini.ipynb');
const canary = path.join(subsDir, 'zz_canary.txt');

const GOOD_CLAMP = 'function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }';
const GOOD_MEAN = 'function mean(xs: number[]): number { let s = 0; for (const x of xs) s += x; return s / xs.length; }';
// Wrong answers worth exactly 1.5 points: clamp passes only the visible check (1 of 2), mean only [-1, 1] (0.5 of 3).
const BAD_CLAMP = 'function clamp(x: number, lo: number, hi: number): number { return x; }';
const BAD_MEAN = 'function mean(xs: number[]): number { return 0; }';

let server: net.Server;
let port = 0;
let connections = 0;

interface Case {
  answers: { clamp: string; mean: string };
  /** extra student cells: [after grade_id ('' = at the top), source] */
  extra?: [string, string][];
  /** arbitrary changes to the released notebook */
  mutate?: (nb: any) => void;
  /** raw file content instead of a notebook */
  raw?: string;
  expect: number;
  status?: 'graded' | 'invalid';
}

function cases(): Record<string, Case> {
  const bad = { clamp: BAD_CLAMP, mean: BAD_MEAN };
  const good = { clamp: GOOD_CLAMP, mean: GOOD_MEAN };
  return {
    honest_good: { answers: good, expect: 5 },
    honest_bad: { answers: bad, expect: 1.5 },
    reads_hidden_tests: {
      answers: {
        clamp: BAD_CLAMP,
        // with the source in hand it would switch to the right answer
        mean: [
          'const fs = require("fs");',
          `const places = [${JSON.stringify(sourceFile)}, ${JSON.stringify(path.join(ROOT, 'tests/grader/fixtures/mini.ipynb'))}, ${JSON.stringify(path.join(ROOT, '.git/HEAD'))}, "/proc/1/cmdline"];`,
          'let leaked = "";',
          'for (const p of places) { try { leaked += fs.readFileSync(p, "utf8"); } catch (e) { console.log("cannot read", p); } }',
          'try { leaked += fs.readdirSync("/").join(","); } catch {}',
          `function mean(xs: number[]): number { if (leaked.includes("several arrays") || leaked.includes("ref: refs")) { let s = 0; for (const x of xs) s += x; return s / xs.length; } return 0; }`,
        ].join('\n'),
      },
      expect: 1.5,
    },
    edits_tests_and_locked: {
      answers: bad,
      mutate: (nb) => {
        for (const c of nb.cells) {
          const id = c.metadata?.nbgrader?.grade_id;
          if (id === 'test_clamp') c.source = "check('free points', 100, () => {});";
          if (id === 'setup') c.source = "const check = (n: string, p: number, f: () => unknown) => console.log('✔', n); const expect: any = { equal() {}, close() {} };";
        }
        nb.cells = nb.cells.filter((c: any) => c.metadata?.nbgrader?.grade_id !== 'test_mean');
        nb.cells.reverse();
        nb.cells.push({ cell_type: 'code', metadata: { nbgrader: { grade_id: 'test_clamp', grade: true, points: 50 } }, source: "check('dup', 50, () => {})", outputs: [] });
      },
      expect: 1.5,
    },
    fake_output_and_records: {
      answers: bad,
      extra: [
        ['mean', [
          "console.log('✔ all tests passed: 5/5 points');",
          "import * as tslab from 'tslab';",
          "tslab.display.raw('application/json', JSON.stringify({ score: 5, max_score: 5, tests: [] }));",
          "const fsx = require('fs');",
          "for (let fd = 0; fd < 40; fd++) { try { fsx.writeSync(fd, JSON.stringify({ record: JSON.stringify({ nonce: 'x', gradeId: 'test_mean', checks: [{ name: 'fake', points: 3, earned: 3, message: '' }], error: '' }), mac: '0'.repeat(64) }) + '\\n'); } catch {} }",
          // a genuinely signed record, but with a nonce of the student's choosing
          "const api = (globalThis as any).__optilab_grader__;",
          "await api.run('a-nonce-i-made-up-myself', 'test_mean', async (o: any) => { o.check('fake', 3, () => {}); });",
        ].join('\n')],
      ],
      expect: 1.5,
    },
    redefines_api_and_builtins: {
      answers: bad,
      extra: [
        ['', [
          // patches of the kernel's own built-ins change nothing: the tests run outside the kernel
          "try { (Math as any).abs = () => 0; Object.defineProperty(Math, 'min', { value: (a: number) => a }); (Array.prototype as any).every = () => true; (Object.prototype as any).toString = () => 'x'; (globalThis as any).Number = () => 0; } catch (e) {}",
          "const { createRequire } = require('module');",
          "const mustThrow: [string, () => unknown][] = [",
          "  ['binding', () => (process as any).binding('fs')],",
          "  ['inspector', () => require('inspector').open()],",
          "  ['node:inspector', () => require('node:inspector')],",
          "  ['module.constructor', () => (module as any).constructor._load('child_process')],",
          "  ['createRequire', () => createRequire(__filename)('child_process')],",
          "  ['getBuiltinModule', () => (process as any).getBuiltinModule('node:child_process')],",
          "  ['register', () => require('module').register('data:text/javascript,export async function resolve(s, c, n) { return n(s, c); }')],",
          "  ['sigusr1', () => { process.removeAllListeners('SIGUSR1'); process.kill(process.pid, 'SIGUSR1'); }],",
          // a worker has its own, unlocked module system: only optilab's training worker may start
          "  ['worker on another optilab file', () => new (require('worker_threads').Worker)(require('path').join(require('path').dirname(require.resolve('optilab/package.json')), 'grader', 'checker.js'))],",
          "  ['worker after patching path.resolve', () => { require('path').resolve = () => require('path').dirname(require.resolve('optilab/package.json')) + '/dist/train/parallel-worker.js'; return new (require('worker_threads').Worker)('const cp = require(\"child_process\")', { eval: false }); }],",
          "];",
          "for (const [name, f] of mustThrow) { try { f(); console.log('ALLOWED', name); } catch (e) { console.log('blocked', name); } }",
          // ESM import() of the same modules, by every spelling (the Function constructor's code has no CJS require)
          "const esm = ['node:inspector', 'inspector', 'node:child_process', 'child_process'];",
          "for (const m of esm) { try { await new Function('m', 'return import(m)')(m); console.log('ALLOWED import', m); } catch (e) { console.log('blocked import', m); } }",
        ].join('\n')],
        // shadow the names the tests use, after the answers (one cell each, so one type error cannot hide another)
        ['mean', 'let Math = { abs: (x: number) => 0, min: (a: number, b: number) => a, max: (a: number, b: number) => a };'],
        ['mean', 'let check = (n: string, p: number, f: () => unknown) => undefined;'],
        ['mean', 'let expect: any = { equal() {}, close() {}, ok() {} };'],
        ['mean', 'let Number: any = (x: unknown) => 0;'],
      ],
      expect: 1.5,
    },
    exits_in_tests: {
      answers: { clamp: GOOD_CLAMP, mean: 'function mean(xs: number[]): number { process.exit(0); }' },
      expect: 2,
    },
    kills_its_kernel: {
      answers: good,
      extra: [['clamp', "process.kill(process.pid, 'SIGKILL');"]],
      expect: 5,
    },
    infinite_loop: {
      answers: { clamp: GOOD_CLAMP, mean: 'function mean(xs: number[]): number { while (true) {} }' },
      expect: 2,
    },
    memory_bomb: {
      answers: { clamp: GOOD_CLAMP, mean: 'const hog: Float64Array[] = [];\nfunction mean(xs: number[]): number { for (;;) hog.push(new Float64Array(1 << 24).fill(1)); }' },
      expect: 2,
    },
    fork_bomb: {
      answers: good,
      extra: [
        ['', [
          "try { const cp = require('child_process'); for (let i = 0; i < 10000; i++) cp.spawn('/bin/sh', ['-c', 'sleep 100']); } catch (e) { console.log('no child_process'); }",
          "try { const { Worker } = require('worker_threads'); for (let i = 0; i < 1000; i++) new Worker('require(\"child_process\")', { eval: true }); } catch (e) { console.log('no eval workers'); }",
        ].join('\n')],
      ],
      expect: 5,
    },
    writes_outside_scratch: {
      answers: good,
      extra: [
        ['', [
          "const fsw = require('fs');",
          `for (const p of [${JSON.stringify(path.join(outDir, 'gradebook.sqlite'))}, ${JSON.stringify(path.join(outDir, 'results', 'honest_bad.json'))}, ${JSON.stringify(sourceFile)}, ${JSON.stringify(canary)}, ${JSON.stringify(path.join(ROOT, 'src', 'grader', 'in-kernel', 'harness.js'))}, ${JSON.stringify(path.join(ROOT, 'node_modules', 'optilab', 'owned.txt'))}, '/usr/bin/owned', '/etc/passwd']) {`,
          "  try { fsw.writeFileSync(p, 'owned'); console.log('WROTE', p); } catch (e) { console.log('cannot write', p); }",
          '}',
          "fsw.writeFileSync('scratch-file.txt', 'mine');",
          "fsw.writeFileSync('/tmp/private.txt', 'mine');",
        ].join('\n')],
      ],
      expect: 5,
    },
    network: {
      answers: good,
      extra: [
        ['', [
          "const netx = require('net');",
          `const tryConnect = (host: string) => new Promise<string>((resolve) => { const s = netx.connect(${port}, host); s.on('connect', () => { s.write('hello'); resolve('connected'); }); s.on('error', (e: any) => resolve(String(e.code))); setTimeout(() => resolve('timeout'), 2000); });`,
          "console.log('loopback:', await tryConnect('127.0.0.1'));",
        ].join('\n')],
      ],
      expect: 5,
    },
    huge_output: {
      answers: good,
      extra: [['clamp', "const line = 'x'.repeat(1 << 20);\nfor (let i = 0; i < 100; i++) console.log(line);"]],
      expect: 5,
    },
    // issue 22, 1a: every cell (tests included, before) passed through vm.runInThisContext in the kernel
    hooks_run_in_this_context: {
      answers: bad,
      extra: [['', [
        "const vmx = require('vm');",
        'const realRun = vmx.runInThisContext;',
        "vmx.runInThisContext = function (code: string, ...rest: any[]) { if (typeof code === 'string' && code.includes('check(')) { console.log('SAW TESTS'); code = code.replace(/check\\(/g, 'check(\"free\", 100, () => {}) || check('); } return realRun.call(this, code, ...rest); };",
      ].join('\n')]],
      expect: 1.5,
    },
    // 1b: patch tslab's execute handler to rewrite the cells that follow
    patches_tslab_handler: {
      answers: bad,
      extra: [['', [
        'let patched = 0;',
        "for (const k of Object.keys(require.cache)) { if (!k.includes('tslab')) continue; const m: any = require.cache[k]!.exports; for (const v of Object.values(m ?? {})) { const p: any = (v as any)?.prototype; if (p && typeof p.handleExecuteImpl === 'function') { const orig = p.handleExecuteImpl; p.handleExecuteImpl = function (...a: any[]) { console.log('SAW A CELL'); return orig.apply(this, a); }; patched++; } } }",
        "console.log('patched', patched);",
      ].join('\n')]],
      expect: 1.5,
    },
    // 1c + 2: ESM import() of inspector and child_process (it bypassed the CommonJS loader)
    imports_escapes: {
      answers: bad,
      extra: [['', [
        "const load = new Function('m', 'return import(m)') as (m: string) => Promise<any>;",
        `try { const cp = await load('node:child_process'); cp.execSync('touch ${canary}.spawned; echo SPAWNED'); console.log('SPAWNED'); } catch (e: any) { console.log('no child_process:', String(e.message).slice(0, 80)); }`,
        "try { const ins = await load('node:inspector'); ins.open(0); console.log('INSPECTOR OPEN'); } catch (e: any) { console.log('no inspector:', String(e.message).slice(0, 80)); }",
        "try { const cp = (process as any).getBuiltinModule('child_process'); cp.spawnSync('/bin/sh', ['-c', 'true']); console.log('SPAWNED'); } catch (e: any) { console.log('no getBuiltinModule child_process'); }",
      ].join('\n')]],
      expect: 1.5,
    },
    // 3: the student's functions see the hidden inputs; they try to carry them into the feedback
    leaks_hidden_inputs: {
      answers: {
        clamp: 'const seen: string[] = [];\nfunction clamp(x: number, lo: number, hi: number): number { seen.push(`CLAMP(${x},${lo},${hi})`); console.log(`LEAK CLAMP(${x},${lo},${hi})`); if (x < lo || x > hi) throw new Error(`LEAK ${seen.join(" ")}`); return x; }',
        mean: 'function mean(xs: number[]): number { console.log(`LEAK MEAN(${xs.join(";")})`); if (xs.length !== 3) throw new Error(`LEAK MEAN(${xs.join(";")}) ${seen.join(" ")}`); return 0; }',
      },
      extra: [['mean', 'console.log(`LEAK LATER ${seen.join(" ")}`);']],
      expect: 1,
    },
    // 4: NaN everywhere must not pass a check
    nan_answers: {
      answers: { clamp: 'function clamp(x: number, lo: number, hi: number): number { return NaN; }', mean: 'function mean(xs: number[]): number { return NaN; }' },
      expect: 0,
    },
    // issue 22, 7: the connection file (with the signing key) and the socket folder, seen from the kernel
    reads_kernel_key: {
      answers: bad,
      extra: [['', [
        "const fsk = require('fs'); const pk = require('path');",
        "const conn = process.argv[process.argv.indexOf('--config-path') + 1] ?? '';",
        "try { const key = JSON.parse(fsk.readFileSync(conn, 'utf8')).key; console.log('KEY READ', String(key).length); } catch (e) { console.log('no connection file'); }",
        "try { fsk.writeFileSync(pk.join(pk.dirname(conn), 'junk'), 'x'); console.log('WROTE SOCKET DIR'); } catch (e) { console.log('socket folder read-only'); }",
        "try { fsk.chmodSync(pk.dirname(conn), 0o777); console.log('CHMOD SOCKET DIR'); } catch (e) { console.log('no chmod'); }",
      ].join('\n')]],
      expect: 1.5,
    },
    // issue 22, 7: 2 GB written under --memory 512 once reached the host's /tmp
    fills_scratch: {
      answers: good,
      extra: [['clamp', [
        "const fsf = require('fs'); const chunk = Buffer.alloc(32 << 20, 7);",
        "function fill(dir: string): number { let mib = 0; try { for (let i = 0; i < 64; i++) { fsf.writeFileSync(`${dir}/fill${i}`, chunk); mib += 32; } } catch (e) { } for (let i = 0; i < 64; i++) fsf.rmSync(`${dir}/fill${i}`, { force: true }); return mib; }",
        "console.log(`scratch took ${fill('.')} MiB, /tmp took ${fill('/tmp')} MiB`);",
      ].join('\n')]],
      expect: 5,
    },
    // issue 22, 7: 24 x 64 MiB of output raised the grader to 1.6 GiB
    huge_messages: {
      answers: good,
      extra: [['clamp', "const big = 'y'.repeat(64 << 20);\nfor (let i = 0; i < 24; i++) console.log(big);"]],
      expect: 5,
    },
    invalid_json: { answers: good, raw: '{"cells": [', expect: 0, status: 'invalid' },
    nbformat3: { answers: good, mutate: (nb) => { nb.nbformat = 3; }, expect: 0, status: 'invalid' },
    python_kernel: { answers: good, mutate: (nb) => { nb.metadata.kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' }; }, expect: 0, status: 'invalid' },
  };
}

function buildSubmission(c: Case): string {
  if (c.raw !== undefined) return c.raw;
  const nb: any = release(notebook(MINI) as any);
  const cells: any[] = [];
  const extras = (after: string) => (c.extra ?? []).filter(([a]) => a === after).map(([, src]) => ({ cell_type: 'code', metadata: {}, source: src, outputs: [], execution_count: null }));
  cells.push(...extras(''));
  for (const cell of nb.cells) {
    const id = cell.metadata?.nbgrader?.grade_id;
    if (id === 'clamp') cell.source = c.answers.clamp;
    if (id === 'mean') cell.source = c.answers.mean;
    cells.push(cell, ...(id ? extras(id) : []));
  }
  nb.cells = cells;
  c.mutate?.(nb);
  return JSON.stringify(nb);
}

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
let summary: GradeSummary;
let results: Map<string, SubmissionResult>;
let all: Record<string, Case>;
let before1: { source: string; canary: string; harness: string };
let peakRss = 0;

before(async () => {
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
  fs.mkdirSync(subsDir, { recursive: true });
  fs.mkdirSync(path.dirname(sourceFile), { recursive: true });
  fs.writeFileSync(sourceFile, JSON.stringify(notebook(MINI)));
  fs.writeFileSync(canary, 'canary');
  all = cases();
  for (const [name, c] of Object.entries(all)) fs.writeFileSync(path.join(subsDir, `${name}.ipynb`), buildSubmission(c));
  before1 = { source: sha(sourceFile), canary: sha(canary), harness: sha(path.join(ROOT, 'src', 'grader', 'in-kernel', 'harness.js')) };
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  summary = await gradeSubmissions({
    source: sourceFile,
    submissions: subsDir,
    out: outDir,
    repo: ROOT,
    concurrency: 2,
    limits: { ...DEFAULT_LIMITS, cellTimeoutMs: 12_000, notebookTimeoutMs: 90_000, maxOutputChars: 1_000_000 },
    sandboxLimits: { memoryMiB: 1024 },
  }).finally(() => clearInterval(sampler));
  results = new Map();
  for (const f of fs.readdirSync(path.join(outDir, 'results'))) {
    const r = JSON.parse(fs.readFileSync(path.join(outDir, 'results', f), 'utf8')) as SubmissionResult;
    results.set(r.student, r);
  }
});

after(() => {
  server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('every submission was graded, none failed the grader', () => {
  assert.deepEqual(summary.failed, []);
  assert.equal(summary.graded, Object.keys(all).length);
});

for (const name of Object.keys(cases())) {
  test(`adversarial: ${name} gets its honest grade`, () => {
    const r = results.get(name);
    assert.ok(r, `no result for ${name}`);
    const c = all[name];
    assert.equal(r.status, c.status ?? 'graded', JSON.stringify(r.notes));
    assert.equal(r.score, c.expect, `${name}: ${JSON.stringify(r.tests.map((t) => [t.gradeId, t.earned, t.message, t.checks.map((k) => [k.name, k.earned, k.message])]))} cells: ${JSON.stringify(r.cells.map((x) => [x.gradeId, x.status, x.error.slice(0, 200), x.output.slice(0, 200)]))}`);
  });
}

test('the gradebook is intact and agrees with every result; CSV has one row per student', async () => {
  const gb = await Gradebook.open(path.join(outDir, 'gradebook.sqlite'));
  try {
    assert.equal(gb.integrity(), 'ok');
    const rows = gb.rows();
    assert.equal(rows.length, Object.keys(all).length);
    for (const row of rows) assert.equal(row.score, results.get(row.student)!.score, row.student);
  } finally {
    gb.close();
  }
  const csv = fs.readFileSync(path.join(outDir, 'grades.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, Object.keys(all).length + 1);
});

test('nothing outside the sandboxes was touched and no connection left a sandbox', () => {
  assert.equal(sha(sourceFile), before1.source);
  assert.equal(sha(canary), before1.canary);
  assert.equal(sha(path.join(ROOT, 'src', 'grader', 'in-kernel', 'harness.js')), before1.harness);
  assert.equal(fs.existsSync(path.join(ROOT, 'node_modules', 'optilab', 'owned.txt')), false);
  assert.equal(connections, 0);
  const w = results.get('writes_outside_scratch')!;
  const out = w.cells.map((c) => c.output).join('');
  assert.doesNotMatch(out, /WROTE/);
  assert.match(out, /cannot write/);
  const n = results.get('network')!.cells.map((c) => c.output).join('');
  assert.match(n, /loopback: (ECONNREFUSED|ENETUNREACH|timeout)/);
});

test('no test code, hidden input or expected value reaches the student, and no process was spawned', () => {
  const out = (name: string) => results.get(name)!.cells.map((c) => c.output + c.error).join('');
  assert.doesNotMatch(out('hooks_run_in_this_context'), /SAW TESTS/);
  assert.doesNotMatch(out('patches_tslab_handler'), /SAW A CELL/, 'tests cells never pass through the kernel');
  const esc = out('imports_escapes');
  assert.doesNotMatch(esc, /SPAWNED|INSPECTOR OPEN/);
  assert.match(esc, /no child_process[\s\S]*no inspector[\s\S]*no getBuiltinModule/);
  assert.equal(fs.existsSync(`${canary}.spawned`), false);
  // the leak case: everything the student can see (result file, feedback page, results.json) holds no hidden input
  const leak = results.get('leaks_hidden_inputs')!;
  const seen = [JSON.stringify(leak), fs.readFileSync(path.join(outDir, 'feedback', 'leaks_hidden_inputs.html'), 'utf8')].join('\n');
  assert.match(seen, /LEAK LATER CLAMP\(0\.5,0,1\)/, 'inputs of visible tests may show (the student was given them)');
  for (const hidden of ['CLAMP(-2', 'CLAMP(3', 'MEAN(4)', 'MEAN(-1;1)', 'MEAN(0.5;0.25', 'MEAN(10;20)', 'expected 0', 'expected 1']) {
    assert.ok(!seen.includes(hidden), `feedback leaks ${hidden}`);
  }
  for (const c of leak.tests.flatMap((t) => t.checks)) if (c.hidden) assert.equal(c.message, '');
});

test('attacks were blocked, not merely unrewarded', () => {
  const out = (name: string) => results.get(name)!.cells.map((c) => c.output).join('');
  const redefine = out('redefines_api_and_builtins');
  assert.doesNotMatch(redefine, /CHANGED|ALLOWED/);
  assert.equal((redefine.match(/^blocked /gm) ?? []).length, 14, redefine);
  assert.match(out('fork_bomb'), /no child_process[\s\S]*no eval workers/);
  assert.match(out('reads_hidden_tests'), /cannot read/);
  const huge = results.get('huge_output')!;
  assert.ok(huge.restarts >= 1 && huge.cells.some((c) => /printed more than/.test(c.error)));
  const edits = results.get('edits_tests_and_locked')!.notes.join('\n');
  assert.match(edits, /'test_clamp' was modified|'setup' was modified/);
  assert.match(edits, /'test_mean' was deleted/);
});

test('one student cannot exhaust the grading host: key, socket folder, scratch, messages', () => {
  const out = (name: string) => results.get(name)!.cells.map((c) => c.output).join('');
  const key = out('reads_kernel_key');
  assert.doesNotMatch(key, /KEY READ|WROTE SOCKET DIR|CHMOD SOCKET DIR/);
  assert.match(key, /no connection file[\s\S]*socket folder read-only[\s\S]*no chmod/);
  const m = /scratch took (\d+) MiB, \/tmp took (\d+) MiB/.exec(out('fills_scratch'));
  assert.ok(m, out('fills_scratch'));
  assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 256, `scratch cap 256 MiB: ${m[0]}`);
  assert.ok(Number(m[2]) > 0 && Number(m[2]) <= 64, `/tmp cap 64 MiB: ${m[0]}`);
  // the whole suite (two kernels at a time, the messages above included) in one grader process
  assert.ok(peakRss <= 512 * 2 ** 20, `grader peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`grader peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
});

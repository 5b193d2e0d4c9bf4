/**
 * `npm run bench -- class [--students 30] [--concurrency 5] [--no-queue] [queue options]`: a class on this machine.
 *
 * Hub part (this file): `optilab hub` with the test authenticator; N simulated students arrive `--concurrency` at a
 * time, each logging in over HTTP (the hub's login form, the OAuth hand-over to their server: what a browser does)
 * and waiting for their course lab page (spawn time), then starting a tslab kernel and running `1 + 1` over the
 * kernel websocket (first-cell time) and the chapter notebooks' setup cell (import optilab, initBackend). With every student's server and kernel running, memory per student is read
 * from /proc (PSS, which splits shared pages fairly between processes, and RSS) for the processes of each student
 * (jupyterhub-singleuser + tslab kernel, found by JUPYTERHUB_USER and the hub's marker), and students per GiB
 * is 1024 / mean PSS MiB. The hub and proxy are counted once, apart.
 *
 * Grading part: bench/class/queue.ts (distributed grading: local vs queue, 1 vs 2 workers), called when present,
 * with the remaining arguments; `--no-queue` skips it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { HubSession } from '../src/hub/client';
import { processesWithEnv, type MarkedProcess } from '../src/hub/processes';
import { freePort } from '../src/hub/ports';
import { startHub, type RunningHub } from '../src/hub/run';
import { benchFlag, formatTable, type BenchReport } from './harness';

const ROOT = path.resolve(__dirname, '..');
const PASSWORD = 'bench-class';
// The kernel websocket client: `ws` from the lab's npm root (node 20 has no WebSocket without a flag).
const labRequire = createRequire(path.join(ROOT, 'labextension', 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const WebSocket = labRequire('ws') as any;

interface StudentRun {
  name: string;
  /** POST login -> the student's lab page served (hub spawn + server start + OAuth hand-over). */
  spawnSeconds: number;
  /** POST api/kernels -> result of the first cell (`1 + 1`) over the websocket. */
  firstCellSeconds: number;
  /** The chapter notebooks' setup cell: import optilab, initBackend(). */
  setupSeconds: number;
}

interface Memory {
  name: string;
  serverPssMiB: number;
  kernelPssMiB: number;
  pssMiB: number;
  rssMiB: number;
  processes: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** PSS and RSS of one process in MiB, from /proc/<pid>/smaps_rollup. */
function memoryOf(pid: number): { pss: number; rss: number } {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pss: kb('Pss') / 1024, rss: kb('Rss') / 1024 };
}

function memAvailableMiB(): number {
  return Number(/MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024;
}

/** Runs `code` on an open kernel websocket; resolves with the output text once the reply is ok and the kernel idle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function execute(ws: any, user: string, code: string, timeoutMs = 180_000): Promise<string> {
  const msgId = `bench-${Math.random().toString(36).slice(2)}`;
  return new Promise<string>((resolve, reject) => {
    let out = '';
    let ok = false;
    let idle = false;
    const timer = setTimeout(() => done(new Error(`${user}: no reply from the kernel after ${timeoutMs / 1000} s`)), timeoutMs);
    const done = (e?: Error) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      if (e) reject(e);
      else resolve(out);
    };
    const onMessage = (data: Buffer) => {
      const m = JSON.parse(data.toString());
      if (m.parent_header?.msg_id !== msgId) return;
      if (m.msg_type === 'error' || (m.msg_type === 'execute_reply' && m.content.status !== 'ok')) {
        return done(new Error(`${user}: the cell failed: ${JSON.stringify(m.content).slice(0, 300)}`));
      }
      // tslab shows a cell's value as an execute_result or on stdout, depending on its version
      if (m.msg_type === 'execute_result') out += m.content.data?.['text/plain'] ?? '';
      if (m.msg_type === 'stream') out += m.content.text;
      if (m.msg_type === 'execute_reply') ok = true;
      if (m.msg_type === 'status' && m.content.execution_state === 'idle') idle = true;
      if (ok && idle) done();
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: user, session: `bench-${user}`, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
  });
}

/**
 * Starts a tslab kernel in the student's server, runs `1 + 1` (timed from the kernel's start), then the chapter
 * notebooks' setup (import optilab, initialise the compute backend), so memory is read on a kernel in real use.
 */
async function useKernel(s: HubSession): Promise<{ firstCellSeconds: number; setupSeconds: number }> {
  const t0 = performance.now();
  const kernel = await s.api<{ id: string }>('api/kernels', { method: 'POST', body: { name: 'tslab' } });
  const url = new URL(`user/${s.user}/api/kernels/${kernel.id}/channels`, s.base);
  url.protocol = 'ws:';
  const cookie = ['jupyterhub-user-' + s.user, '_xsrf'].map((k) => `${k}=${s.cookie(k)}`).join('; ');
  const ws = new WebSocket(url.toString(), { headers: { Cookie: cookie, Origin: s.base.replace(/\/$/, '') } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', (e: Error) => reject(new Error(`${s.user}: kernel websocket: ${e.message}`)));
  });
  try {
    const two = await execute(ws, s.user, 'const two: number = 1 + 1;\ntwo');
    if (two.trim() !== '2') throw new Error(`${s.user}: 1 + 1 gave ${JSON.stringify(two)}`);
    const firstCellSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const backend = await execute(ws, s.user, "import * as ol from 'optilab';\nconst backend = await ol.initBackend();\nbackend");
    if (!/tensorflow|wasm|cpu/.test(backend)) throw new Error(`${s.user}: the setup cell gave ${JSON.stringify(backend)}`);
    return { firstCellSeconds, setupSeconds: (performance.now() - t1) / 1000 };
  } finally {
    ws.close();
  }
}

async function student(hub: RunningHub, name: string): Promise<StudentRun> {
  const s = new HubSession(hub.url, name);
  const t0 = performance.now();
  await s.login(PASSWORD);
  await s.openLab();
  const spawnSeconds = (performance.now() - t0) / 1000;
  return { name, spawnSeconds, ...(await useKernel(s)) };
}

function memoryPerStudent(procs: MarkedProcess[], names: string[]): Memory[] {
  return names.map((name) => {
    const mine = procs.filter((p) => p.user === name);
    let serverPss = 0;
    let kernelPss = 0;
    let rss = 0;
    for (const p of mine) {
      const m = memoryOf(p.pid);
      if (/tslab kernel/.test(p.args)) kernelPss += m.pss;
      else serverPss += m.pss;
      rss += m.rss;
    }
    return { name, serverPssMiB: serverPss, kernelPssMiB: kernelPss, pssMiB: serverPss + kernelPss, rssMiB: rss, processes: mine.length };
  });
}

async function hubPart(args: string[]) {
  const n = Number(benchFlag(args, 'students', '30'));
  const concurrency = Number(benchFlag(args, 'concurrency', '5'));
  const stateDir = path.join(ROOT, '.cache', 'hub-bench');
  fs.rmSync(stateDir, { recursive: true, force: true });
  const availableBefore = memAvailableMiB();
  const loadBefore = os.loadavg()[0];
  const hub = await startHub({ root: ROOT, stateDir, port: await freePort(), authenticator: 'test', testPassword: PASSWORD, admins: ['prof'] });
  const names = Array.from({ length: n }, (_, i) => `student${String(i + 1).padStart(2, '0')}`);
  const runs: StudentRun[] = [];
  const t0 = performance.now();
  try {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < names.length) {
        const name = names[next++];
        const r = await student(hub, name);
        runs.push(r);
        console.log(`  ${name}: lab in ${r.spawnSeconds.toFixed(2)} s, first cell in ${r.firstCellSeconds.toFixed(2)} s, setup cell in ${r.setupSeconds.toFixed(2)} s`);
      }
    }));
    const classSeconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 5000)); // let start-up garbage settle
    const procs = processesWithEnv('OPTILAB_HUB_ID', hub.settings.hubId);
    const memory = memoryPerStudent(procs, names);
    const shared = procs.filter((p) => !p.user).map((p) => ({ args: p.args.slice(0, 80), ...memoryOf(p.pid) }));
    const availableAfter = memAvailableMiB();
    const loadAfter = os.loadavg()[0];
    const report = await hub.stop();
    return { n, concurrency, runs, memory, shared, classSeconds, loadBefore, loadAfter, availableDropMiB: availableBefore - availableAfter, stop: { seconds: report.seconds, strays: report.strays.length } };
  } catch (e) {
    await hub.stop();
    throw e;
  }
}

export async function run(args: string[]): Promise<BenchReport> {
  const h = await hubPart(args);
  const spawn = h.runs.map((r) => r.spawnSeconds);
  const cell = h.runs.map((r) => r.firstCellSeconds);
  const pss = h.memory.map((m) => m.pssMiB);
  const rss = h.memory.map((m) => m.rssMiB);
  const row = (metric: string, xs: number[], unit: string) => ({ metric, unit, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs) });
  const rows: Record<string, unknown>[] = [
    row('spawn: login -> lab page', spawn, 's'),
    row('first cell: kernel start -> result', cell, 's'),
    row('setup cell: import optilab, initBackend', h.runs.map((r) => r.setupSeconds), 's'),
    row('memory per student (PSS)', pss, 'MiB'),
    row('  of which server', h.memory.map((m) => m.serverPssMiB), 'MiB'),
    row('  of which tslab kernel', h.memory.map((m) => m.kernelPssMiB), 'MiB'),
    row('memory per student (RSS)', rss, 'MiB'),
  ];
  const studentsPerGiB = 1024 / mean(pss);
  const sharedMiB = h.shared.reduce((a, p) => a + p.pss, 0);
  const notes = [
    `${h.n} students arriving ${h.concurrency} at a time on ${os.cpus().length} cores (${(os.totalmem() / 2 ** 30).toFixed(1)} GiB); the whole class was in and had run a cell after ${h.classSeconds.toFixed(1)} s; load average before ${h.loadBefore.toFixed(1)}, after ${h.loadAfter.toFixed(1)} (other work shares the machine)`,
    `students per GiB: ${studentsPerGiB.toFixed(2)} (1024 / mean PSS ${mean(pss).toFixed(0)} MiB of server + kernel); by RSS, which counts shared libraries once per process: ${(1024 / mean(rss)).toFixed(2)}`,
    `hub + proxy (once for the class): ${sharedMiB.toFixed(0)} MiB PSS; MemAvailable dropped by ${h.availableDropMiB.toFixed(0)} MiB over the run (${(h.availableDropMiB / h.n).toFixed(0)} MiB per student, other work on the machine included)`,
    `stopping the hub took ${h.stop.seconds.toFixed(1)} s; ${h.stop.strays} stray processes were left (kernels orphaned)`,
    'memory is read with every server and kernel running, each kernel after the chapter setup cell (optilab imported, backend initialised); a kernel grows further with what a notebook loads (datasets, models, training)',
  ];
  const extra: Record<string, unknown> = {
    hub: { students: h.n, concurrency: h.concurrency, classSeconds: h.classSeconds, loadAverage: { before: h.loadBefore, after: h.loadAfter }, studentsPerGiB, sharedMiB, availableDropMiB: h.availableDropMiB, stop: h.stop, perStudent: h.runs.map((r) => ({ ...r, ...h.memory.find((m) => m.name === r.name) })) },
  };

  // Grading throughput (1 vs 2 queue workers, queue overhead): the queue helper's part, when it is there.
  const queueFile = path.join(__dirname, 'class', 'queue.ts');
  if (!args.includes('--no-queue') && fs.existsSync(queueFile)) {
    const mod = (await import(queueFile)) as { queueGradingBench?: (a: string[]) => Promise<Record<string, unknown>[]> };
    if (mod.queueGradingBench) {
      const queueArgs = args.filter((a, i) => !['--students', '--concurrency'].includes(a) && !['--students', '--concurrency'].includes(args[i - 1]) && a !== '--no-queue');
      const queueRows = await mod.queueGradingBench(queueArgs);
      extra.grading = queueRows;
      console.log(`\ngrading throughput (bench/class/queue.ts):\n${formatTable({ rows: queueRows })}`);
      notes.push('grading throughput (local vs queue, 1 vs 2 workers) is in "grading" of the JSON (bench/class/queue.ts)');
    }
  } else {
    notes.push('grading throughput: not measured in this run (bench/class/queue.ts missing or --no-queue)');
  }
  return {
    rows,
    columns: [
      ['metric', (r) => r.metric as string],
      ['unit', (r) => r.unit as string],
      ['p50', (r) => r.p50 as number],
      ['p95', (r) => r.p95 as number],
      ['mean', (r) => r.mean as number],
      ['max', (r) => r.max as number],
    ],
    notes,
    extra,
  };
}

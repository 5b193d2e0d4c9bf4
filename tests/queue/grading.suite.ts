// Distributed grading end to end: a real redis-server, real `optilab grade-worker` processes (one SIGKILLed
// mid-run), real sandboxed kernels; the gradebook must equal local grading of the same submissions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { Gradebook } from '../../src/grader/output/gradebook';
import { RUNS_KEY } from '../../src/grader/engine/queue';
import { openRedis } from '../../src/grader/engine/queue-connection';
import { SubmissionResult } from '../../src/grader/output/result';
import { ROOT } from '../helpers';
import { MINI, notebook, readResults as results } from '../grader/notebooks';
import { freePort, RedisServer, startRedis } from './redis-server';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-queue-'));
const source = path.join(work, 'mini.ipynb');
const subs = path.join(work, 'subs');
const one = path.join(work, 'one');
// `node --import tsx main.ts`: the spawned pid is the CLI process itself (no wrapper), so signals reach it.
const CLI = ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')];
const MEANS = ['return 0;', 'let s = 0; for (const x of xs) s += x; return s / xs.length;', 'return xs[0];', 'return xs.length;', 'return xs.reduce((a, b) => a + b, 0) / xs.length;', 'return (xs[0] + xs[xs.length - 1]) / 2;'];
const CLAMPS = ['function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }', 'function clamp(x: number, lo: number, hi: number): number { return x; }'];
const N = 10; // graded submissions (+ one folder without a notebook)
let redis: RedisServer;

function submission(i: number): any {
  const nb: any = release(notebook(MINI) as any);
  for (const c of nb.cells) {
    if (c.metadata?.nbgrader?.grade_id === 'clamp') c.source = CLAMPS[i < 6 ? 0 : 1];
    if (c.metadata?.nbgrader?.grade_id === 'mean') c.source = `function mean(xs: number[]): number { ${MEANS[i % MEANS.length]} }`;
  }
  return nb;
}

before(async () => {
  redis = await startRedis();
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  fs.mkdirSync(subs);
  for (let i = 0; i < N; i++) {
    fs.mkdirSync(path.join(subs, `student${String(i).padStart(2, '0')}`));
    fs.writeFileSync(path.join(subs, `student${String(i).padStart(2, '0')}`, 'lab.ipynb'), JSON.stringify(submission(i)));
  }
  fs.mkdirSync(path.join(subs, 'nobody')); // a submission without a notebook: invalid, settled without a job
  fs.mkdirSync(one);
  fs.writeFileSync(path.join(one, 'solo.ipynb'), JSON.stringify(submission(1)));
});

const workers: ChildProcess[] = [];
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) try { process.kill(-w.pid!, 'SIGKILL'); } catch { /* gone */ }
  await redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function runCli(args: string[], timeout = 300_000) {
  return spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout });
}

/** A grade-worker process with its output lines collected. */
function startWorker(name: string, jobs = 1): { child: ChildProcess; lines: string[]; times: number[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...CLI, 'grade-worker', '--queue', redis.url, '--jobs', String(jobs)], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  const lines: string[] = [];
  const times: number[] = []; // when each line arrived
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      times.push(Date.now());
      if (process.env.OPTILAB_DEBUG) console.log(`[${name}] ${l}`);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, times, exited };
}

async function waitFor(what: string, cond: () => boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


/** Everything graded about a student, without times (gradedAt, seconds). */
function gradedView(r: SubmissionResult) {
  return {
    status: r.status,
    score: r.score,
    maxScore: r.maxScore,
    assignmentSha: r.assignmentSha,
    submissionSha: r.submissionSha,
    notes: r.notes,
    restarts: r.restarts,
    tests: r.tests.map((t) => ({ gradeId: t.gradeId, points: t.points, earned: t.earned, message: t.message, checks: t.checks })),
    cells: r.cells.map((c) => ({ gradeId: c.gradeId, kind: c.kind, status: c.status, error: c.error, output: c.output })),
  };
}

async function gradebookView(out: string) {
  const gb = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  try {
    assert.equal(gb.integrity(), 'ok');
    return gb.rows().map((r) => ({ student: r.student, status: r.status, score: r.score, maxScore: r.maxScore, tests: gb.tests(r.student) }));
  } finally {
    gb.close();
  }
}

/** grades.csv without its last column (graded_at). */
function csvView(out: string): string[] {
  return fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, -1).join(','));
}

async function runs(): Promise<Map<string, number>> {
  const c = await openRedis(redis.url);
  try {
    const flat = (await c.call('HGETALL', RUNS_KEY)) as string[];
    const m = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) m.set(flat[i], Number(flat[i + 1]));
    return m;
  } finally {
    c.disconnect();
  }
}

const localOut = path.join(work, 'out-local');
const queueOut = path.join(work, 'out-queue');
let workerB: ReturnType<typeof startWorker>;

test('local grading of the class (the reference)', () => {
  const r = runCli(['grade', subs, '--assignment', source, '--out', localOut, '--jobs', '2']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`graded ${N + 1}, already graded 0, grader errors 0, of ${N + 1} submissions`));
});

test('two workers, one SIGKILLed mid-run: every submission graded exactly once, gradebook identical to local grading', async () => {
  const a = startWorker('A');
  workerB = startWorker('B');
  await waitFor('both workers to connect', () => [a, workerB].every((w) => w.lines.some((l) => l.includes('grade-worker on'))), 120_000);
  const coord = spawn(process.execPath, [...CLI, 'grade', subs, '--assignment', source, '--out', queueOut, '--queue', redis.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  coord.stdout!.on('data', (d) => (out += d));
  coord.stderr!.on('data', (d) => (out += d));
  const coordExit = new Promise<number | null>((r) => coord.on('exit', (code) => r(code)));
  // Kill A (its whole process group: worker, grading process; the sandboxes die with it) while it grades its
  // second submission: one result already delivered, one job in flight.
  const graded = (w: typeof a) => w.lines.filter((l) => / in [\d.]+ s \(job /.test(l)).length;
  const started = (w: typeof a) => w.lines.filter((l) => /: grading \(job /.test(l)).length;
  await waitFor('worker A to deliver one result and start another', () => graded(a) >= 1 && started(a) > graded(a));
  const inFlight = /^\S+ (\S+): grading \(job (\S+),/.exec(a.lines.filter((l) => /: grading \(job /.test(l)).at(-1)!)!;
  process.kill(-a.child.pid!, 'SIGKILL');
  const killedAt = Date.now();
  await a.exited;
  const code = await coordExit;
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`graded ${N + 1}, already graded 0, grader errors 0, of ${N + 1} submissions`), out);
  assert.match(out, new RegExp(`queued ${N} submission\\(s\\) on ${redis.url.replace(/\./g, '\\.')}\n`), 'a fresh queue: nothing taken from an earlier run');
  // the lost job went back on the queue within lockDuration + stalledInterval (and some grading time)
  const takeover = workerB.lines.findIndex((l) => l.includes(`${inFlight[1]}: grading (job ${inFlight[2]}`));
  assert.ok(takeover >= 0, `B took over ${inFlight[1]}:\n${workerB.lines.join('\n')}`);
  // lockDuration 5 s + stalledInterval 2 s (+ B finishing the submission it had): BullMQ's defaults take 30-60 s
  const recovery = (workerB.times[takeover] - killedAt) / 1000;
  assert.ok(recovery < 30, `the lost job waited ${recovery.toFixed(1)} s before another worker took it`);

  // exactly once: one progress line per student, one result each, one completed grading run per job
  const progress = out.split('\n').filter((l) => /^\[\s*\d+\/\d+\] /.test(l)).map((l) => /\] (\S+?):/.exec(l)![1]);
  assert.deepEqual([...progress].sort(), [...new Set(progress)].sort(), 'each student reported once');
  assert.equal(progress.length, N + 1);
  const completedRuns = [a, workerB].flatMap((w) => w.lines.filter((l) => / in [\d.]+ s \(job /.test(l)).map((l) => /\(job (\S+),/.exec(l)![1]));
  assert.equal(completedRuns.length, N, `one completed grading per job: ${completedRuns.join(' ')}`);
  assert.equal(new Set(completedRuns).size, N);
  const started_ = await runs();
  assert.equal(started_.size, N, 'one job per submission with a notebook');
  assert.equal(started_.get(inFlight[2]), 2, 'the job in flight on the killed worker was started again');
  for (const [id, n] of started_) if (id !== inFlight[2]) assert.equal(n, 1, `${id} started once`);

  // identical to local grading
  const local = results(localOut);
  const queued = results(queueOut);
  assert.deepEqual([...queued.keys()].sort(), [...local.keys()].sort());
  for (const [student, r] of local) assert.deepEqual(gradedView(queued.get(student)!), gradedView(r), student);
  assert.deepEqual(await gradebookView(queueOut), await gradebookView(localOut));
  assert.deepEqual(csvView(queueOut), csvView(localOut));
  assert.equal(csvView(queueOut).length, N + 2);
  for (const s of local.keys()) {
    assert.ok(fs.existsSync(path.join(queueOut, 'feedback', `${s}.html`)), `feedback of ${s}`);
    const gs = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'gradescope', s, 'results.json'), 'utf8'));
    assert.equal(gs(queueOut).score, gs(localOut).score, s);
  }
  // spot checks against the fixture: a correct student, a half-wrong one, the empty folder
  assert.equal(queued.get('student01')!.score, 5);
  assert.equal(queued.get('student07')!.score, 1 + 3);
  assert.equal(queued.get('nobody')!.status, 'invalid');
});

test('a rerun takes the finished results (from results/, or from the queue when the output folder is gone) and grades nothing again', async () => {
  const again = runCli(['grade', subs, '--assignment', source, '--out', queueOut, '--queue', redis.url]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, new RegExp(`graded 0, already graded ${N + 1},`));
  const before = await runs();
  const fresh = path.join(work, 'out-fresh');
  const r = runCli(['grade', subs, '--assignment', source, '--out', fresh, '--queue', redis.url]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`queued ${N} submission\\(s\\) on redis://127\\.0\\.0\\.1:\\d+ \\(${N} already there from an earlier run\\)`));
  assert.deepEqual(await runs(), before, 'no job was graded again');
  assert.deepEqual(await gradebookView(fresh), await gradebookView(localOut));
});

test('a worker whose Redis connections drop reconnects; a submission the grader fails on is tried 3 times, then reported as a grader error', async () => {
  // drop every connection of worker B (as a Redis restart or a network cut would): it must reconnect by itself
  const admin = await openRedis(redis.url);
  const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
  admin.disconnect();
  assert.ok(killed >= 2, `killed ${killed} connections of worker B`);
  // 1 MiB of memory: no kernel can start, so grading fails in the grader itself on every attempt
  const out = path.join(work, 'out-fail');
  const r = runCli(['grade', one, '--assignment', source, '--out', out, '--queue', redis.url, '--memory', '1']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /\[\s*1\/1\] solo: GRADER ERROR \(will be retried on the next run\): failed on the queue after 3 attempts: /);
  assert.match(r.stdout, /graded 0, already graded 0, grader errors 1, of 1 submissions/);
  assert.ok(!fs.existsSync(path.join(out, 'results', 'solo.json')), 'no result is written for a grader error');
  const solo = [...(await runs()).entries()].filter(([id]) => id.startsWith('solo-'));
  assert.deepEqual(solo.map(([, n]) => n), [3]);
});

test('graceful stop; grading waits (and says so) until a worker connects; unreachable Redis names the URL and the fix', async () => {
  workerB.child.kill('SIGTERM');
  assert.equal(await workerB.exited, 0, workerB.lines.join('\n'));
  assert.ok(workerB.lines.some((l) => l.includes('grade-worker stopped')));
  const out = path.join(work, 'out-late');
  const coord = spawn(process.execPath, [...CLI, 'grade', one, '--assignment', source, '--out', out, '--queue', redis.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  coord.stdout!.on('data', (d) => (text += d));
  coord.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => coord.on('exit', (code) => r(code)));
  await waitFor('the no-worker notice', () => /no grade-worker is connected to redis:\/\/127\.0\.0\.1:\d+ yet: .*start `optilab grade-worker --queue redis:\/\/127\.0\.0\.1:\d+`/.test(text), 60_000);
  const late = startWorker('C');
  assert.equal(await exited, 0, text);
  assert.match(text, /\[\s*1\/1\] solo: 5\/5 /);
  late.child.kill('SIGTERM');
  assert.equal(await late.exited, 0);
  const port = await freePort();
  const g = runCli(['grade', one, '--assignment', source, '--out', path.join(work, 'out-x'), '--queue', `redis://127.0.0.1:${port}`]);
  assert.equal(g.status, 1);
  assert.match(g.stderr, new RegExp(`cannot reach the grading queue at redis://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): start Redis there`));
  const w = runCli(['grade-worker', '--queue', `redis://127.0.0.1:${port}`], 60_000);
  assert.equal(w.status, 1);
  assert.match(w.stderr, /cannot reach the grading queue at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  const u = runCli(['grade-worker', '--queue', 'http://x']);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /must start with redis:\/\//);
});

/**
 * The class hub for real: `optilab hub --authenticator test` (Debian JupyterHub 3.0, the npm proxy) with an
 * instructor (prof) and two students (alice, bob) in headless chromium, each with their own course lab and
 * tslab kernel. Checks the workspaces (course copied in, a student's edits never overwritten, also across a
 * server restart), release to logged-in and later students, isolation (no access to another student's server
 * or files), the admin role, Submit from the lab, collect with a deadline (late flag), grading the collected
 * folder with `optilab grade`, and that SIGTERM stops hub, proxy, servers and kernels (nothing orphaned).
 * Timings go to test-artifacts/hub-timings.json.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { ARTIFACTS, processesMentioning } from '../browser/lab-harness';
import { HubSession } from '../../src/hub/client';
import { processesWithEnv } from '../../src/hub/processes';
import { hubLayout } from '../../src/hub/layout';
import { MAX_SUBMISSION_BYTES } from '../../src/grader/engine/engine';
import { clickSubmit, inLab, launchBrowser, login, openNotebook, optilab, PASSWORD, runCells, startHub, stopHub, type Any, type Hub, type Student } from './hub-harness';

const STATE = path.join(ROOT, '.cache', 'hub-test');
const USERS = path.join(STATE, 'users');
const SOURCE = path.join(ROOT, 'notebooks', 'labs', 'quantization-lab.ipynb');
const LAB = 'labs/quantization-lab.ipynb';
const MARK = 'alice was here before the hub';
const timings: Record<string, number> = {};
let hub: Hub;
let browser: Any;
let alice: Student;
let bob: Student;
let aliceSubmittedAt = '';
let bobSubmittedAt = '';

/** The student's own contents API, through their browser context (their cookies). */
async function contents(s: Student, p: string, user = s.name): Promise<{ status: number; json: Any; text: string }> {
  const r = await s.context.request.get(`${hub.url}user/${user}/api/contents/${p}`, { maxRedirects: 10 });
  const text = await r.text();
  let json: Any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (an HTML error page)
  }
  return { status: r.status(), json, text };
}

function names(listing: Any): string[] {
  return listing.content.map((c: Any) => c.name).sort();
}

function hubId(): string {
  return JSON.parse(fs.readFileSync(path.join(STATE, 'settings.json'), 'utf8')).hubId;
}

before(async () => {
  fs.rmSync(STATE, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // alice already has her own version of the first chapter notebook: the hub must not overwrite it.
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', '00-getting-started.ipynb'), 'utf8'));
  nb.cells.unshift({ cell_type: 'markdown', metadata: {}, source: MARK });
  fs.mkdirSync(path.join(USERS, 'alice'), { recursive: true });
  fs.writeFileSync(path.join(USERS, 'alice', '00-getting-started.ipynb'), JSON.stringify(nb));
  const t0 = performance.now();
  hub = await startHub(STATE, ['--admins', 'prof']);
  timings.hubStart = (performance.now() - t0) / 1000;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (hub) await stopHub(hub);
  fs.writeFileSync(path.join(ARTIFACTS, 'hub-timings.json'), JSON.stringify(timings, null, 2) + '\n');
  console.log('hub timings (s):', JSON.stringify(timings));
});

test('the hub listens on 127.0.0.1 only', async () => {
  const other = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  const loopback = await new Promise<boolean>((resolve) => net.connect(hub.port, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).on('error', () => resolve(false)));
  assert.ok(loopback, 'reachable on 127.0.0.1');
  if (!other) return; // no other interface on this machine
  const outside = await new Promise<string>((resolve) => net.connect(hub.port, other.address).on('connect', function (this: net.Socket) { this.destroy(); resolve('connected'); }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error')));
  assert.equal(outside, 'ECONNREFUSED', `not reachable on ${other.address}`);
});

test('alice logs in and gets her own lab with the course; her own notebook is kept', async () => {
  const r = await login(browser, hub.url, 'alice');
  alice = r.student;
  timings.aliceLoginToLab = r.seconds;
  const root = await contents(alice, '');
  assert.equal(root.status, 200);
  const want = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb'));
  for (const f of want) assert.ok(names(root.json).includes(f), `${f} copied into alice's workspace`);
  assert.ok(!names(root.json).includes('node_modules'), 'the node_modules link is hidden from the file browser');
  assert.ok(!names(root.json).includes('labs'), 'nothing released yet');
  const mine = await contents(alice, '00-getting-started.ipynb');
  assert.equal(mine.json.content.cells[0].source, MARK, "alice's own version was not overwritten");
});

test('a lab released while alice is logged in reaches her workspace; bob, logging in later, gets it too', async () => {
  const r = optilab(['hub', 'release', SOURCE, '--state-dir', STATE]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /copied into 1 workspace\(s\): alice/);
  const got = await contents(alice, LAB);
  assert.equal(got.status, 200, "alice's workspace has the released lab");
  const text = JSON.stringify(got.json.content);
  assert.ok(!text.includes('BEGIN SOLUTION') && !text.includes('BEGIN HIDDEN TESTS'), 'the student version: no solutions, no hidden tests');

  const b = await login(browser, hub.url, 'bob');
  bob = b.student;
  timings.bobLoginToLab = b.seconds;
  assert.equal((await contents(bob, LAB)).status, 200, 'bob got the released lab at his first login');
  const servers = processesWithEnv('OPTILAB_HUB_ID', hubId()).filter((p) => p.args.includes('jupyterhub-singleuser'));
  assert.deepEqual(servers.map((p) => p.user).sort(), ['alice', 'bob'], 'one server per student');
});

test("a student cannot reach another student's server or files", async () => {
  for (const p of ['', LAB]) {
    const cross = await contents(alice, p, 'bob');
    assert.equal(cross.status, 403, `alice -> /user/bob/api/contents/${p}: ${cross.status}`);
    assert.ok(!cross.text.includes('quantization-lab'), 'no file names of bob leak');
  }
  const kernels = await alice.context.request.get(`${hub.url}user/bob/api/kernels`, { maxRedirects: 10 });
  assert.equal(kernels.status(), 403);
  const page = await alice.context.request.get(`${hub.url}user/bob/lab`, { maxRedirects: 10 });
  assert.ok(!(page.status() === 200 && (await page.text()).includes('optilab lab')), "alice does not get bob's lab page");
  // Her own server does not serve files outside her workspace.
  for (const p of ['..%2Fbob%2Flabs%2Fquantization-lab.ipynb', '%2E%2E/bob/labs/quantization-lab.ipynb']) {
    const r = await contents(alice, p);
    assert.ok(r.status >= 400 && r.status < 500, `alice's server refuses ${p} (${r.status})`);
    assert.ok(!r.text.includes('"cells"'), 'no notebook content');
  }
  const submitOther = await inLab<Any>(alice, `async (app) => {
    const s = app.serviceManager.serverSettings;
    const r = await fetch(s.baseUrl + 'optilab/submit', { method: 'POST', body: JSON.stringify({ path: '../bob/labs/quantization-lab.ipynb' }), headers: { 'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)[1] } });
    return { status: r.status, body: await r.text() };
  }`);
  assert.equal(submitOther.status, 404, `submitting another student's file is refused: ${submitOther.body}`);
  alice.errors.length = 0; // the browser logs that refused request as a console error
});

test("the lab's hand-in limit is the grader's MAX_SUBMISSION_BYTES: a bigger notebook is refused with 413", async () => {
  const dir = path.join(hubLayout(STATE).usersDir, 'alice', 'labs', 'too-big');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const head = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "pad": "';
  fs.writeFileSync(path.join(dir, path.basename(LAB)), head + 'x'.repeat(MAX_SUBMISSION_BYTES - head.length + 8) + '"}', { mode: 0o644 });
  try {
    const r = await inLab<Any>(alice, `async (app) => {
      const s = app.serviceManager.serverSettings;
      const r = await fetch(s.baseUrl + 'optilab/submit', { method: 'POST', body: JSON.stringify({ path: 'labs/too-big/${path.basename(LAB)}' }), headers: { 'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)[1] } });
      return { status: r.status, body: await r.text() };
    }`);
    assert.equal(r.status, 413, r.body);
    assert.match(r.body, new RegExp(`larger than ${MAX_SUBMISSION_BYTES / 2 ** 20} MiB`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    alice.errors.length = 0; // the browser logs the refused request as a console error
  }
});

test('prof has the admin (instructor) role; a student does not', async () => {
  const prof = new HubSession(hub.url, 'prof');
  await prof.login(PASSWORD);
  const admin = await prof.request('hub/admin');
  assert.equal(admin.status, 200);
  const users = await prof.request('hub/api/users');
  assert.equal(users.status, 200, users.text);
  assert.deepEqual(JSON.parse(users.text).map((u: Any) => [u.name, u.admin]).sort(), [['alice', false], ['bob', false], ['prof', true]]);
  const student = new HubSession(hub.url, 'carol');
  await student.login(PASSWORD);
  assert.equal((await student.request('hub/admin')).status, 403);
  assert.equal((await student.request('hub/api/users')).status, 403);
  const wrong = new HubSession(hub.url, 'mallory');
  await assert.rejects(wrong.login('not-the-password'), /could not log in/);
});

test('alice solves the lab in her browser and submits it', async () => {
  const t0 = performance.now();
  await openNotebook(alice, LAB);
  timings.aliceKernelIdle = (performance.now() - t0) / 1000;
  const source = JSON.parse(fs.readFileSync(SOURCE, 'utf8'));
  const solutions: Record<string, string> = {};
  for (const c of source.cells) if (c.metadata?.nbgrader?.solution) solutions[c.metadata.nbgrader.grade_id] = Array.isArray(c.source) ? c.source.join('') : c.source;
  const filled = await inLab<number>(alice, `(app, solutions) => {
    let n = 0;
    for (const cell of app.shell.currentWidget.content.widgets) {
      const id = cell.model.getMetadata('nbgrader')?.grade_id;
      if (id in solutions) { cell.model.sharedModel.setSource(solutions[id]); n++; }
    }
    return n;
  }`, solutions);
  assert.equal(filled, 3, 'three answer cells');
  const t1 = performance.now();
  const outputs = await runCells(alice, 0, 100);
  timings.aliceRunLab = (performance.now() - t1) / 1000;
  assert.ok(outputs.length >= 7, `ran ${outputs.length} code cells`);
  for (const o of outputs) assert.deepEqual(o.errors, [], `cell ${o.index} ran without errors`);
  const result = await clickSubmit(alice);
  assert.match(result, /^quantization-lab \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, result);
  aliceSubmittedAt = result.split(' ')[1];
  assert.deepEqual(alice.errors, [], 'no console errors in alice\'s lab');
});

test('bob runs the setup cell in his browser and submits twice, after the deadline', async () => {
  await openNotebook(bob, LAB);
  const [setup] = await runCells(bob, 0, 2);
  assert.deepEqual(setup.errors, [], 'the setup cell (imports optilab, type-checked by tslab) runs');
  await new Promise((r) => setTimeout(r, 1500)); // the deadline lies between alice's and bob's submissions
  const first = await clickSubmit(bob);
  assert.match(first, /^quantization-lab /);
  const second = await clickSubmit(bob);
  bobSubmittedAt = second.split(' ')[1];
  assert.ok(Date.parse(bobSubmittedAt) > Date.parse(aliceSubmittedAt) + 1000);
  // Not an assignment: refused with a readable message.
  await openNotebook(bob, '01-numerics.ipynb');
  const refused = await clickSubmit(bob);
  assert.match(refused, /^error: 01-numerics\.ipynb is not a released assignment \(released: quantization-lab\)/);
  const folder = path.join(STATE, 'exchange', 'submitted', 'quantization-lab', 'bob');
  const meta = JSON.parse(fs.readFileSync(path.join(folder, 'submission.json'), 'utf8'));
  assert.equal(meta.submissions.length, 2);
  assert.equal(meta.submissions[1].submittedAt, bobSubmittedAt);
  assert.ok(fs.existsSync(path.join(folder, meta.submissions[1].file)));
});

test('collect takes the latest submissions, flags late work; optilab grade grades the collected folder', async () => {
  const due = new Date(Date.parse(aliceSubmittedAt) + 700).toISOString();
  const out = path.join(STATE, 'collected');
  const r = optilab(['hub', 'collect', 'quantization-lab', '--out', out, '--due', due, '--state-dir', STATE]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /collected 2 submission\(s\) of quantization-lab, 1 late/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['alice.ipynb', 'bob.ipynb', 'submissions.csv', 'submissions.json']);
  const rows = fs.readFileSync(path.join(out, 'submissions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], ['student', 'status', 'submitted_at', 'late', 'minutes_late', 'submissions', 'sha256', 'file']);
  assert.deepEqual(rows.slice(1).map((x) => [x[0], x[1], x[2], x[3], x[5]]), [
    ['alice', 'submitted', aliceSubmittedAt, 'false', '1'],
    ['bob', 'submitted', bobSubmittedAt, 'true', '2'],
  ]);
  const t0 = performance.now();
  const graded = path.join(STATE, 'graded');
  const g = optilab(['grade', out, '--assignment', SOURCE, '--out', graded, '--jobs', '2']);
  timings.grade2 = (performance.now() - t0) / 1000;
  assert.equal(g.code, 0, g.out);
  const score = (s: string) => JSON.parse(fs.readFileSync(path.join(graded, 'results', `${s}.json`), 'utf8')).score;
  assert.equal(score('alice'), 10, "alice's solved lab earns every point");
  assert.equal(score('bob'), 0, "bob's unsolved lab earns nothing");
});

test("alice's work survives a server restart (nothing is copied over it)", async () => {
  const before = await contents(alice, LAB);
  assert.ok(JSON.stringify(before.json.content).includes('BEGIN SOLUTION'), 'her saved lab holds her answers');
  await alice.page.goto(`${hub.url}hub/home`);
  const stopped = await alice.page.evaluate(async () => (await fetch('/hub/api/users/alice/server', { method: 'DELETE' })).status);
  assert.ok([202, 204].includes(stopped), `server stop requested (${stopped})`);
  const t = Date.now();
  while (processesWithEnv('OPTILAB_HUB_ID', hubId()).some((p) => p.user === 'alice')) {
    assert.ok(Date.now() - t < 60_000, "alice's server and kernel stopped");
    await new Promise((r) => setTimeout(r, 200));
  }
  const t0 = performance.now();
  await alice.page.goto(`${hub.url}hub/spawn`);
  await alice.page.waitForURL(/\/user\/alice\/lab/, { timeout: 120_000 });
  await alice.page.waitForFunction(() => document.body.dataset.optilabLab === 'ready', null, { timeout: 60_000 });
  timings.aliceRespawn = (performance.now() - t0) / 1000;
  const after = await contents(alice, LAB);
  assert.deepEqual(after.json.content.cells.map((c: Any) => c.source), before.json.content.cells.map((c: Any) => c.source), 'her lab is unchanged');
  assert.equal((await contents(alice, '00-getting-started.ipynb')).json.content.cells[0].source, MARK);
  await openNotebook(alice, LAB); // a kernel for the shutdown test
});

test('SIGTERM stops the hub, the proxy, both servers and every kernel', async () => {
  const id = hubId();
  const running = processesWithEnv('OPTILAB_HUB_ID', id);
  const kernels = running.filter((p) => /tslab kernel/.test(p.args));
  assert.deepEqual([...new Set(kernels.map((k) => k.user))].sort(), ['alice', 'bob'], 'both students have a kernel');
  assert.ok(running.some((p) => /configurable-http-proxy/.test(p.args)), 'the proxy runs');
  await alice.context.close();
  await bob.context.close();
  const { code, seconds } = await stopHub(hub);
  timings.stopSeconds = seconds;
  assert.equal(code, 0, hub.output.join(''));
  assert.match(hub.output.join(''), /optilab hub: stopped in [\d.]+ s \(0 stray processes\)/, 'every server shut its kernels down itself');
  assert.deepEqual(processesWithEnv('OPTILAB_HUB_ID', id), [], 'no process of the hub is left');
  for (const k of kernels) assert.deepEqual(processesMentioning(k.args.split(' ').at(-1)!), [], `kernel ${k.pid} of ${k.user} stopped`);
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(hub.port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  assert.ok(free, 'the port is free again');
});

// `optilab grade --queue` reports progress on stderr like local grading: one step per submission (student as
// detail) as results come back from a real `optilab grade-worker` through a real redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { release } from '../../src/grader/assignment/format';
import { ROOT } from '../helpers';
import { MINI, notebook } from '../grader/notebooks';
import { RedisServer, startRedis } from './redis-server';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-queue-progress-'));
const source = path.join(work, 'mini.ipynb');
const subs = path.join(work, 'subs');
const CLI = ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')];
let redis: RedisServer;
let worker: ChildProcess | undefined;

before(async () => {
  redis = await startRedis();
  fs.writeFileSync(source, JSON.stringify(notebook(MINI)));
  fs.mkdirSync(path.join(subs, 'nobody'), { recursive: true }); // no notebook: invalid, settled without a job
  fs.writeFileSync(path.join(subs, 'student0.ipynb'), JSON.stringify(release(notebook(MINI) as any)));
});
after(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) try { process.kill(-worker.pid!, 'SIGKILL'); } catch { /* gone */ }
  await redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Runs a CLI command to its end: exit code, stdout, stderr. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

test('grade --queue: one progress step per submission on stderr, the report on stdout', async () => {
  worker = spawn(process.execPath, [...CLI, 'grade-worker', '--queue', redis.url, '--jobs', '1'], { cwd: ROOT, detached: true, stdio: 'ignore' });
  const r = await run(['grade', subs, '--assignment', source, '--out', path.join(work, 'out'), '--queue', redis.url], { ...process.env, CI: 'true' });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const steps = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('grade (queue): ') && !l.startsWith('grade (queue): done in'))
    .map((l) => {
      const m = /^grade \(queue\): (\d+)% \(elapsed \d+s, ETA (?:\d+s|\d+m\d\ds|--)\) (.*)$/.exec(l);
      assert.ok(m, l);
      return [Number(m[1]), m[2]];
    });
  // 50% then 100%, one submission each (in the order they finish)
  assert.deepEqual(steps.map(([p]) => p), [50, 100], r.stderr);
  assert.deepEqual(steps.map(([, s]) => s).sort(), ['nobody', 'student0'], r.stderr);
  assert.match(r.stderr, /^grade \(queue\): done in \d+s 2 submission\(s\)$/m);
  assert.match(r.stdout, /^\[\s*2\/2\] student0: /m);
  assert.match(r.stdout, /graded 2, already graded 0, grader errors 0, of 2 submissions/);
  assert.doesNotMatch(r.stdout, /ETA|done in/, 'no progress on stdout');
});

// createProgress: plain lines (at most one per 10%) off a terminal, a bar redrawn in place with its ETA on one,
// and the real terminal path of a command under a pseudo-terminal (util-linux `script`).
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createProgress } from '../../src/cli/progress';
import { createModel } from '../../src/models/zoo';
import { saveModel } from '../../src/models/files';
import { ROOT, setupBackend } from '../helpers';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s), text: () => writes.join('') };
}

/** Runs `fn` with CI set to `ci` (undefined: unset), restoring it afterwards. */
function withCI<T>(ci: string | undefined, fn: () => T): T {
  const saved = process.env.CI;
  if (ci === undefined) delete process.env.CI;
  else process.env.CI = ci;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

test('not a terminal: one line per 10% reached (never more), with elapsed time and ETA, then a done line', () => {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  try {
    const s = fakeStream(false);
    withCI(undefined, () => {
      const p = createProgress('work', s);
      for (let i = 1; i <= 100; i++) {
        mock.timers.tick(100);
        p.update(i / 100, `step ${i}`);
      }
      p.clear(); // nothing to erase off a terminal
      p.done('all');
    });
    const lines = s.text().split('\n');
    assert.equal(lines.pop(), '', 'every write ends its line');
    assert.doesNotMatch(s.text(), /\r|\x1b/, 'no carriage returns or escape codes in a log');
    assert.equal(lines.length, 12, lines.join('\n'));
    assert.deepEqual(lines.slice(0, -1).map((l) => /^work: (\d+)% /.exec(l)?.[1]), ['1', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
    assert.equal(lines[1], 'work: 10% (elapsed 1s, ETA 9s) step 10');
    assert.equal(lines[5], 'work: 50% (elapsed 5s, ETA 5s) step 50');
    assert.equal(lines[10], 'work: 100% (elapsed 10s, ETA 0s) step 100');
    assert.equal(lines[11], 'work: done in 10s all');
  } finally {
    mock.timers.reset();
  }
});

test('not a terminal: out-of-range fractions are clamped and repeated ones print nothing new', () => {
  const s = fakeStream(false);
  withCI(undefined, () => {
    const p = createProgress('x', s);
    p.update(-1);
    p.update(0.05);
    p.update(0.09);
    p.update(2);
    p.update(1);
  });
  assert.deepEqual(s.text().split('\n').filter(Boolean).map((l) => /^x: (\d+)%/.exec(l)?.[1]), ['0', '100']);
});

test('a terminal: the bar is redrawn in place (\\r ... \\x1b[K) with percentage and ETA; done ends the line', () => {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  try {
    const s = fakeStream(true);
    withCI(undefined, () => {
      const p = createProgress('work', s);
      mock.timers.tick(1000);
      p.update(0.25, 'a');
      mock.timers.tick(1000);
      p.update(0.5, 'b');
      p.clear();
      p.clear(); // already clear: writes nothing
      mock.timers.tick(8000);
      p.update(0.1, 'c'); // 10 s for 10%: 90 s to go
      mock.timers.tick(2000);
      p.done('ok');
    });
    assert.deepEqual(s.writes, [
      '\rwork [######------------------]  25% ETA 3s a\x1b[K',
      '\rwork [############------------]  50% ETA 2s b\x1b[K',
      '\r\x1b[K',
      '\rwork [##----------------------]  10% ETA 1m30s c\x1b[K',
      '\rwork: done in 12s ok\x1b[K\n',
    ]);
  } finally {
    mock.timers.reset();
  }
});

test('a terminal with CI set gets the plain lines', () => {
  const s = fakeStream(true);
  withCI('true', () => {
    const p = createProgress('ci', s);
    p.update(0.5);
    p.clear();
    p.done();
  });
  assert.doesNotMatch(s.text(), /\r|\x1b/);
  assert.match(s.text(), /^ci: 50% \(elapsed \d+s, ETA \d+s\) \nci: done in \d+s \n$/);
});

// ---- the real terminal path: `optilab eval` under a pseudo-terminal ----

const SCRIPT = '/usr/bin/script';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-progress-'));
const modelDir = path.join(tmp, 'mlp');

before(async () => {
  await setupBackend();
  await saveModel(createModel('mlp', { seed: 1 }), modelDir);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('optilab eval on a terminal (a pty from util-linux script, CI unset) redraws a bar with its ETA', { skip: !fs.existsSync(SCRIPT) && `${SCRIPT} is missing (Debian package util-linux)` }, () => {
  const cmd = [process.execPath, '--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'eval', '--model', modelDir, '--limit', '1000', '--json'].map(sh).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  const r = spawnSync(SCRIPT, ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  // a redraw: a carriage return, then the label, the bar and the ETA, erased to the end of the line (the pty
  // also turns every \n into \r\n, hence the bar itself is matched, not just a \r)
  assert.match(r.stdout, /\reval mnist \[#{12}-{12}\]  50% ETA \d+s 500\/1000 images\x1b\[K/, JSON.stringify(r.stdout.slice(0, 400)));
  assert.match(r.stdout, /\reval mnist \[#{24}\] 100% ETA 0s 1000\/1000 images\x1b\[K\reval mnist: done in \d+s 1000 images\x1b\[K/);
  assert.match(r.stdout, /"count": 1000/, 'the JSON result is printed as well');
});

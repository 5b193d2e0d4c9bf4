// `optilab notebooks run` reports progress on stderr (off a terminal: plain lines), per code cell of the notebook
// running and per notebook, while stdout keeps the PASS / FAIL report.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-nb-progress-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('notebooks run: progress lines per code cell and per notebook on stderr, the report on stdout', () => {
  const tiny = path.join(tmp, 'tiny.ipynb');
  fs.writeFileSync(tiny, JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [1, 2, 3].map((i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, source: `const x${i} = ${i} + 1;`, outputs: [], execution_count: null })),
  }));
  // a tiny notebook on the kernel, then one that cannot be read (reported without a kernel)
  const notJson = path.join(__dirname, 'fixtures', 'not-json.ipynb');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'notebooks', 'run', tiny, notJson, '--out-dir', path.join(tmp, 'out')], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    timeout: 180_000,
  });
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`); // not-json fails
  assert.match(r.stdout, /PASS .*tiny\.ipynb \(3 code cells/);
  assert.match(r.stdout, /FAIL .*not-json\.ipynb: before any cell ran/);
  assert.match(r.stdout, /1 notebook\(s\) passed, 1 failed/);
  assert.doesNotMatch(r.stdout, /ETA|done in/, 'no progress on stdout');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('notebooks: '));
  const steps = lines.filter((l) => !l.startsWith('notebooks: done in'));
  for (const l of steps) assert.match(l, /^notebooks: \d+% \(elapsed \d+s, ETA (\d+s|\d+m\d\ds|--)\) /, l);
  assert.deepEqual(steps.map((l) => Number(/: (\d+)%/.exec(l)![1])), [0, 17, 33, 50, 100], r.stderr);
  assert.match(steps[0], /\) \S*tiny\.ipynb$/);
  assert.match(steps[1], /\) \S*tiny\.ipynb cell 1\/3$/);
  assert.match(steps[3], /\) \S*tiny\.ipynb cell 3\/3$/);
  assert.match(steps[4], /\) \S*not-json\.ipynb$/);
  assert.match(lines[lines.length - 1], /^notebooks: done in \d+s 2 notebook\(s\)$/);
});

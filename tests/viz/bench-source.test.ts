import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { benchSource } from '../../src/viz/bench-source';

test('a result without provenance says the commit was not recorded', () => {
  assert.equal(benchSource({ createdAt: '2026-12-01T20:53:25.878Z', quick: false }, 'training'), 'Source: bench/results/training.json (full run, 2026-12-01, commit not recorded).');
});

test('the recorded commit, and uncommitted changes when the tree was dirty', () => {
  const head = 'd8e5a98ab12c34567890d8e5a98ab12c34567890';
  assert.equal(benchSource({ createdAt: '2026-12-06T04:50:00Z', quick: true, provenance: { git: { head, dirty: false, changed: [] } } }, 'x'), 'Source: bench/results/x.json (quick run on a subset, 2026-12-06, commit d8e5a98ab12c).');
  assert.equal(benchSource({ createdAt: '2026-12-06T04:50:00Z', provenance: { git: { head, dirty: true, changed: [' M a', '?? b'] } } }, 'x'), 'Source: bench/results/x.json (full run, 2026-12-06, commit d8e5a98ab12c plus uncommitted changes in 2 paths).');
  assert.match(benchSource({ createdAt: '2026-12-06', provenance: { git: { head, dirty: null } } }, 'x'), /commit d8e5a98ab12c \(tree state unknown\)/);
  assert.match(benchSource({ createdAt: '2026-12-06', provenance: { git: { head: null, dirty: null } } }, 'x'), /not run from a git checkout/);
});

test('every committed result file gets a source line with its date and a commit or "commit not recorded"', () => {
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const json = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const line = benchSource(json, f.slice(0, -5));
    assert.match(line, /\(.*, \d{4}-\d\d-\d\d, (commit [0-9a-f]{12}|commit not recorded)/, `${f}: ${line}`);
    if (json.provenance) assert.ok(line.includes(json.provenance.git.head.slice(0, 12)), f);
  }
});

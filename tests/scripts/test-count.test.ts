// scripts/test-count.sh: the suite's closing line counts passed, failed (cancelled included) and skipped tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';

test('totals of several node:test logs, skipped and cancelled included', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-count-'));
  const a = path.join(dir, 'a.log');
  const b = path.join(dir, 'b.log');
  fs.writeFileSync(a, '✔ x\nℹ tests 5\nℹ pass 3\nℹ fail 0\nℹ cancelled 0\nℹ skipped 2\nℹ todo 0\n');
  fs.writeFileSync(b, 'ℹ tests 4\nℹ pass 1\nℹ fail 1\nℹ cancelled 1\nℹ skipped 0\nℹ todo 1\nℹ pass in a message is not a total\n');
  const r = spawnSync('bash', ['-c', `passed=0; failed=0; skipped=0; source scripts/test-count.sh; count ${a}; count ${b}; echo "$passed passed, $failed failed, $skipped skipped"`], { cwd: ROOT, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.stdout.trim(), '4 passed, 2 failed, 3 skipped');
});

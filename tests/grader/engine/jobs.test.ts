import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGradingJobs } from '../../../src/grader/engine/jobs';

test('default grading jobs: one per core, capped by the memory the kernels may use, never below one', () => {
  assert.equal(defaultGradingJobs(1536, { cores: 2, freeMiB: 24 * 1024 }), 2);
  assert.equal(defaultGradingJobs(1536, { cores: 8, freeMiB: 4096 }), 2);
  assert.equal(defaultGradingJobs(512, { cores: 8, freeMiB: 4096 }), 8);
  assert.equal(defaultGradingJobs(1536, { cores: 1, freeMiB: 1000 }), 1);
  assert.ok(defaultGradingJobs() >= 1);
});

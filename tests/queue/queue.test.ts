// The queue's pure parts: Redis URLs, job ids (the idempotency key), job payload checks, lazy loading of BullMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { gradeJobId, normalizeSandboxLimits, parseJobData } from '../../src/grader/engine/queue';
import { describeTarget, parseRedisUrl } from '../../src/grader/engine/queue-connection';
import { DEFAULT_LIMITS } from '../../src/grader/trusted/runner';
import { ROOT } from '../helpers';

test('Redis URLs: defaults, password, db; clear errors', () => {
  assert.deepEqual(parseRedisUrl('redis://10.0.0.5'), { host: '10.0.0.5', port: 6379, db: 0 });
  assert.deepEqual(parseRedisUrl('redis://:s%40cret@q.example:6380/2'), { host: 'q.example', port: 6380, db: 2, password: 's@cret' });
  assert.deepEqual(parseRedisUrl('redis://[::1]:7000'), { host: '::1', port: 7000, db: 0 });
  assert.equal(describeTarget(parseRedisUrl('redis://:pw@h:1/3')), 'redis://:***@h:1/3');
  assert.throws(() => parseRedisUrl('127.0.0.1:6379'), /must start with redis:\/\/|not a Redis URL/);
  assert.throws(() => parseRedisUrl('http://h:1'), /must start with redis:\/\//);
  assert.throws(() => parseRedisUrl('redis://h/x'), /database number/);
});

test('job ids: one per student, source, submission and limits; stable; BullMQ-safe', () => {
  const settings = { limits: DEFAULT_LIMITS, sandboxLimits: {} };
  const a = gradeJobId('alice', 'a'.repeat(64), 'b'.repeat(64), settings);
  assert.equal(a, gradeJobId('alice', 'a'.repeat(64), 'b'.repeat(64), { limits: { ...DEFAULT_LIMITS }, sandboxLimits: {} }));
  assert.match(a, /^alice-[0-9a-f]{24}$/);
  const others = [
    gradeJobId('bob', 'a'.repeat(64), 'b'.repeat(64), settings),
    gradeJobId('alice', 'c'.repeat(64), 'b'.repeat(64), settings),
    gradeJobId('alice', 'a'.repeat(64), 'c'.repeat(64), settings),
    gradeJobId('alice', 'a'.repeat(64), 'b'.repeat(64), { limits: { ...DEFAULT_LIMITS, cellTimeoutMs: 1000 }, sandboxLimits: {} }),
    gradeJobId('alice', 'a'.repeat(64), 'b'.repeat(64), { limits: DEFAULT_LIMITS, sandboxLimits: { memoryMiB: 512 } }),
  ];
  assert.equal(new Set([a, ...others]).size, 6);
  assert.ok(!a.includes(':'), 'BullMQ rejects custom ids with a colon');
  assert.deepEqual(normalizeSandboxLimits({ memoryMiB: undefined, cpuSeconds: 5 }), { cpuSeconds: 5 });
  // every limit a worker applies travels with the job, scratch included (the results' settings hash counts it)
  assert.deepEqual(normalizeSandboxLimits({ scratchMiB: 128, maxProcesses: 32 }), { maxProcesses: 32, scratchMiB: 128 });
});

test('a worker checks the job payload before running anything', () => {
  const good = { version: 1, student: 'alice', file: { name: 'lab.ipynb', base64: '' }, sourceName: 'lab.ipynb', sourceText: '{}', limits: DEFAULT_LIMITS, sandboxLimits: { memoryMiB: 512 } };
  assert.equal(parseJobData(good).student, 'alice');
  assert.equal(parseJobData({ ...good, file: null }).file, null);
  assert.throws(() => parseJobData({ ...good, version: 2 }), /payload version 2/);
  assert.throws(() => parseJobData({ ...good, student: '../etc' }), /bad student id/);
  assert.throws(() => parseJobData({ ...good, limits: { cellTimeoutMs: 1 } }), /bad limits/);
  assert.throws(() => parseJobData(null), /no payload/);
});

test("importing optilab and loading the CLI's commands does not load BullMQ or ioredis", () => {
  const code = [
    "require('./src/index.ts');",
    "const fs = require('fs');",
    "for (const f of fs.readdirSync('src/cli/commands')) require('./src/cli/commands/' + f);",
    "console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('/node_modules/bullmq/') || k.includes('/node_modules/ioredis/'))));",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), []);
});

// The grading output folder (GradeOutput in src/grader/output/grade-output.ts): the gradebook is rebuilt from results/, and
// results an older grader keyed by non-injective ids (or stored under another student's name) never reach it; a
// result graded under other limits (its settings hash) is not current.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { GradeOutput } from '../../../src/grader/output/grade-output';
import { Gradebook } from '../../../src/grader/output/gradebook';
import { gradingSettingsHash, ID_SCHEME, SubmissionResult } from '../../../src/grader/output/result';
import { DEFAULT_LIMITS } from '../../../src/grader/trusted/runner';

function result(student: string, score: number, scheme: 'current' | 'old' = 'current'): SubmissionResult {
  return {
    student, ...(scheme === 'current' ? { idScheme: ID_SCHEME } : {}), assignment: 'lab', assignmentSha: 'a', submissionSha: `s-${student}`, status: 'graded', score, maxScore: 5,
    tests: [{ gradeId: 'test_mean', points: 5, earned: score, checks: [], message: '' }], cells: [], notes: [], restarts: 0, seconds: 1, gradedAt: '2026-12-06T00:00:00Z',
  } as SubmissionResult;
}

function writeResult(out: string, file: string, r: SubmissionResult): void {
  fs.mkdirSync(path.join(out, 'results'), { recursive: true });
  fs.writeFileSync(path.join(out, 'results', `${file}.json`), JSON.stringify(r));
}

async function rows(out: string): Promise<[string, number][]> {
  const gb = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  try {
    return gb.rows().map((r) => [r.student, r.score]);
  } finally {
    gb.close();
  }
}

test("an older grader's result (no id scheme) is moved to stale/, named, and left out of the gradebook", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  // the old grader gave 'zoe b.ipynb' the id zoe_b; its gradebook row says so
  writeResult(out, 'zoe_b', result('zoe_b', 0, 'old'));
  fs.mkdirSync(path.join(out, 'feedback'));
  fs.writeFileSync(path.join(out, 'feedback', 'zoe_b.html'), '<p>old</p>');
  const old = await GradeOutput.open(out);
  old.close();
  writeResult(out, 'zoe_b', result('zoe_b', 0, 'old')); // as the old run left it, row included
  const gb = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  gb.upsert(result('zoe_b', 0, 'old'));
  gb.save();
  gb.close();

  const notices: string[] = [];
  const output = await GradeOutput.open(out, (m) => notices.push(m));
  try {
    assert.equal(output.current('zoe_b', 'a', 's-zoe_b'), null, 'the old result does not count as graded: zoe_b is graded again');
    output.commit(result('alice', 4));
    output.finish();
  } finally {
    output.close();
  }
  assert.deepEqual(await rows(out), [['alice', 4]]);
  assert.ok(!fs.existsSync(path.join(out, 'results', 'zoe_b.json')));
  assert.ok(fs.existsSync(path.join(out, 'stale', 'results', 'zoe_b.json')), 'kept for the instructor');
  assert.ok(fs.existsSync(path.join(out, 'stale', 'feedback', 'zoe_b.html')));
  assert.equal(notices.length, 1);
  assert.match(notices[0], /older grader.*zoe_b/);
  assert.doesNotMatch(fs.readFileSync(path.join(out, 'grades.csv'), 'utf8'), /zoe_b/);
});

test('a result stored under another student\'s file name is not taken for that student', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  writeResult(out, 'bob', result('mallory', 5));
  writeResult(out, 'carol', result('carol', 3));
  const notices: string[] = [];
  const output = await GradeOutput.open(out, (m) => notices.push(m));
  output.close();
  assert.deepEqual(await rows(out), [['carol', 3]]);
  assert.match(notices.join('\n'), /bob/);
});

test('the gradebook is rebuilt from the results: a row without a result does not survive', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  writeResult(out, 'carol', result('carol', 3));
  const gb = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
  gb.upsert(result('ghost', 5));
  gb.save();
  gb.close();
  const output = await GradeOutput.open(out);
  output.close();
  assert.deepEqual(await rows(out), [['carol', 3]]);
});

test('results written now carry the id scheme and are current on the next open', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  const first = await GradeOutput.open(out);
  assert.equal(first.commit(result('zoe~20b', 2)), true);
  first.close();
  const notices: string[] = [];
  const again = await GradeOutput.open(out, (m) => notices.push(m));
  try {
    assert.ok(again.current('zoe~20b', 'a', 's-zoe~20b'));
    assert.equal(again.commit(result('zoe~20b', 2)), false, 'already committed');
  } finally {
    again.close();
  }
  assert.deepEqual(notices, []);
  assert.deepEqual(await rows(out), [['zoe~20b', 2]]);
});

test('a result graded under other limits is not current: other timeouts, memory or processes grade again', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  const limits = { ...DEFAULT_LIMITS };
  const first = await GradeOutput.open(out, undefined, { limits, sandboxLimits: { memoryMiB: 1536 } });
  assert.equal(first.commit(result('alice', 4)), true);
  first.close();

  for (const [label, settings] of [
    ['--memory', { limits, sandboxLimits: { memoryMiB: 512 } }],
    ['--cell-timeout', { limits: { ...limits, cellTimeoutMs: 5_000 }, sandboxLimits: { memoryMiB: 1536 } }],
    ['--notebook-timeout', { limits: { ...limits, notebookTimeoutMs: 60_000 }, sandboxLimits: { memoryMiB: 1536 } }],
    ['processes', { limits, sandboxLimits: { memoryMiB: 1536, maxProcesses: 16 } }],
  ] as const) {
    const notices: string[] = [];
    const other = await GradeOutput.open(out, (m) => notices.push(m), settings);
    try {
      assert.equal(other.current('alice', 'a', 's-alice'), null, `${label}: graded again`);
      assert.match(notices.join('\n'), /1 result\(s\) .* were graded under other limits/, label);
      assert.deepEqual(await rows(out), [['alice', 4]], `${label}: the earlier grade stays in the gradebook until it is replaced`);
    } finally {
      other.close();
    }
  }
  // the same settings (key order and unset fields aside): current, not committed twice
  const same = await GradeOutput.open(out, undefined, { limits: { ...limits }, sandboxLimits: { maxProcesses: undefined, memoryMiB: 1536 } });
  assert.ok(same.current('alice', 'a', 's-alice'));
  assert.equal(same.commit(result('alice', 4)), false);
  same.close();
  const stored = JSON.parse(fs.readFileSync(path.join(out, 'results', 'alice.json'), 'utf8')) as SubmissionResult;
  assert.equal(stored.settingsHash, gradingSettingsHash({ limits, sandboxLimits: { memoryMiB: 1536 } }), 'the result records its settings');

  const regrade = await GradeOutput.open(out, undefined, { limits, sandboxLimits: { memoryMiB: 512 } });
  assert.equal(regrade.commit(result('alice', 3)), true, 'the regrade is written');
  assert.ok(regrade.current('alice', 'a', 's-alice'));
  regrade.close();
  assert.deepEqual(await rows(out), [['alice', 3]]);
});

test("a result of a grader that recorded no settings is read (gradebook) but graded again", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'go-'));
  writeResult(out, 'bob', result('bob', 5)); // current id scheme, no settingsHash: written before it existed
  const notices: string[] = [];
  const output = await GradeOutput.open(out, (m) => notices.push(m));
  try {
    assert.deepEqual(await rows(out), [['bob', 5]], 'still readable');
    assert.ok(fs.existsSync(path.join(out, 'results', 'bob.json')), 'not moved to stale/');
    assert.equal(output.current('bob', 'a', 's-bob'), null, 'graded again');
    assert.match(notices.join('\n'), /1 result\(s\) .*or by a grader that did not record them/);
    assert.equal(output.commit(result('bob', 5)), true);
    assert.ok(output.current('bob', 'a', 's-bob'));
  } finally {
    output.close();
  }
});

test('gradingSettingsHash: every limit counts, key order and unset fields do not', () => {
  const base = gradingSettingsHash({ limits: DEFAULT_LIMITS });
  assert.match(base, /^v1-[0-9a-f]{24}$/);
  assert.equal(gradingSettingsHash({ limits: { ...DEFAULT_LIMITS }, sandboxLimits: {} }), base);
  assert.equal(gradingSettingsHash({ limits: DEFAULT_LIMITS, sandboxLimits: { memoryMiB: undefined } }), base);
  const reordered = { maxRestarts: DEFAULT_LIMITS.maxRestarts, maxOutputChars: DEFAULT_LIMITS.maxOutputChars, notebookTimeoutMs: DEFAULT_LIMITS.notebookTimeoutMs, cellTimeoutMs: DEFAULT_LIMITS.cellTimeoutMs };
  assert.equal(gradingSettingsHash({ limits: reordered }), base);
  const variants = [
    { limits: { ...DEFAULT_LIMITS, cellTimeoutMs: 1 } },
    { limits: { ...DEFAULT_LIMITS, notebookTimeoutMs: 1 } },
    { limits: { ...DEFAULT_LIMITS, maxOutputChars: 1 } },
    { limits: { ...DEFAULT_LIMITS, maxRestarts: 0 } },
    { limits: DEFAULT_LIMITS, sandboxLimits: { memoryMiB: 256 } },
    { limits: DEFAULT_LIMITS, sandboxLimits: { maxProcesses: 8 } },
    { limits: DEFAULT_LIMITS, sandboxLimits: { cpuSeconds: 10 } },
    { limits: DEFAULT_LIMITS, sandboxLimits: { fileSizeMiB: 1 } },
    { limits: DEFAULT_LIMITS, sandboxLimits: { scratchMiB: 16 } },
  ];
  const hashes = new Set([base, ...variants.map(gradingSettingsHash)]);
  assert.equal(hashes.size, variants.length + 1);
});

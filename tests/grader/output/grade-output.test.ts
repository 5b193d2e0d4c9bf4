// The grading output folder (GradeOutput in src/grader/output/grade-output.ts): the gradebook is rebuilt from results/, and
// results an older grader keyed by non-injective ids (or stored under another student's name) never reach it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { GradeOutput } from '../../../src/grader/output/grade-output';
import { Gradebook } from '../../../src/grader/output/gradebook';
import { ID_SCHEME, SubmissionResult } from '../../../src/grader/output/result';

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

/**
 * The class exchange without a running hub: release to recorded workspaces (never over a student's file),
 * collect (latest submission per student, late flag against a deadline, missing students, a lost
 * submission.json), deadline parsing, and the hub command's usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { collectAssignment, parseDeadline } from '../../src/hub/collect';
import { releasedAssignments, stampTime, submissionsOf } from '../../src/hub/exchange';
import { hubLayout } from '../../src/hub/layout';
import { releaseToClass } from '../../src/hub/release';

const SOURCE = path.join(ROOT, 'notebooks', 'labs', 'pruning-lab.ipynb');

function tmpHub() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-hub-'));
  const layout = hubLayout(path.join(dir, 'state'));
  fs.mkdirSync(layout.workspaces, { recursive: true });
  return { dir, layout };
}

function register(layout: ReturnType<typeof hubLayout>, name: string): string {
  const workspace = path.join(layout.usersDir, name);
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(layout.workspaces, `${name}.json`), JSON.stringify({ name, workspace, uid: null, gid: null }));
  return workspace;
}

function submit(layout: ReturnType<typeof hubLayout>, assignment: string, student: string, times: string[], meta = true): void {
  const folder = path.join(layout.submitted, assignment, student);
  fs.mkdirSync(folder, { recursive: true });
  const entries = times.map((t, i) => {
    const file = `${t.replace(/:/g, '-')}.ipynb`;
    fs.writeFileSync(path.join(folder, file), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'markdown', metadata: {}, source: `${student} #${i + 1}` }] }));
    return { file, submittedAt: t };
  });
  if (meta) fs.writeFileSync(path.join(folder, 'submission.json'), JSON.stringify({ assignment, student, submissions: entries }));
}

test('release writes the student version to the exchange and to every recorded workspace, keeping existing files', () => {
  const { dir, layout } = tmpHub();
  try {
    const alice = register(layout, 'alice');
    const bob = register(layout, 'bob');
    fs.mkdirSync(path.join(bob, 'labs'));
    fs.writeFileSync(path.join(bob, 'labs', 'pruning-lab.ipynb'), 'bob\'s work');
    const r = releaseToClass(SOURCE, layout);
    assert.equal(r.assignment, 'pruning-lab');
    assert.deepEqual(r.copiedTo, ['alice']);
    assert.deepEqual(r.kept, ['bob']);
    assert.deepEqual(releasedAssignments(layout), ['pruning-lab']);
    const text = fs.readFileSync(path.join(alice, 'labs', 'pruning-lab.ipynb'), 'utf8');
    assert.equal(text, fs.readFileSync(r.released, 'utf8'));
    assert.ok(!text.includes('BEGIN SOLUTION') && !text.includes('BEGIN HIDDEN TESTS'), 'solutions and hidden tests are not released');
    assert.equal(fs.readFileSync(path.join(bob, 'labs', 'pruning-lab.ipynb'), 'utf8'), 'bob\'s work');
    for (const s of ['alice', 'bob']) {
      const st = fs.statSync(path.join(layout.submitted, 'pruning-lab', s));
      assert.equal(st.mode & 0o777, 0o700, `${s}'s submission folder is private`);
    }
    assert.equal(fs.statSync(path.join(layout.submitted, 'pruning-lab')).mode & 0o777, 0o711, 'students cannot list who submitted');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('collect takes the latest submission, flags late ones, lists students without one', () => {
  const { dir, layout } = tmpHub();
  try {
    releaseToClass(SOURCE, layout);
    for (const s of ['alice', 'bob', 'carol', 'dave']) register(layout, s);
    submit(layout, 'pruning-lab', 'alice', ['2025-03-01T10:00:00.000Z', '2025-03-01T23:00:00.000Z']);
    submit(layout, 'pruning-lab', 'bob', ['2025-03-01T22:00:00.000Z', '2025-03-02T01:30:00.500Z']);
    submit(layout, 'pruning-lab', 'carol', ['2025-03-01T09:00:00.000Z', '2025-03-01T12:00:00.000Z'], false); // submission.json lost
    const out = path.join(dir, 'collected');
    const r = collectAssignment(layout, 'pruning-lab', out, { due: '2025-03-02T00:00:00+01:00' }); // = 2025-03-01T23:00Z
    assert.equal(r.due, '2025-03-01T23:00:00.000Z');
    const rows = Object.fromEntries(r.rows.map((x) => [x.student, x]));
    assert.deepEqual(Object.keys(rows), ['alice', 'bob', 'carol', 'dave']);
    assert.deepEqual([rows.alice.submittedAt, rows.alice.late, rows.alice.submissions], ['2025-03-01T23:00:00.000Z', false, 2], 'exactly at the deadline is on time');
    assert.deepEqual([rows.bob.late, rows.bob.minutesLate], [true, 151]);
    assert.deepEqual([rows.carol.submittedAt, rows.carol.late, rows.carol.submissions], ['2025-03-01T12:00:00.000Z', false, 2], 'from the file names');
    assert.equal(rows.dave.status, 'missing');
    assert.deepEqual(fs.readdirSync(out).sort(), ['alice.ipynb', 'bob.ipynb', 'carol.ipynb', 'submissions.csv', 'submissions.json']);
    assert.match(fs.readFileSync(path.join(out, 'bob.ipynb'), 'utf8'), /bob #2/, 'the latest one');
    const csv = fs.readFileSync(path.join(out, 'submissions.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'student,status,submitted_at,late,minutes_late,submissions,sha256,file');
    assert.equal(csv[2], 'bob,submitted,2025-03-02T01:30:00.500Z,true,151,2,,bob.ipynb');
    assert.equal(csv[4], 'dave,missing,,false,0,0,,');
    // Without a deadline nothing is late.
    assert.ok(collectAssignment(layout, 'pruning-lab', out).rows.every((x) => !x.late));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('submissions whose notebook is gone are ignored; file-name stamps parse', () => {
  const { dir, layout } = tmpHub();
  try {
    submit(layout, 'a', 'bob', ['2025-03-01T10:00:00.000Z', '2025-03-01T11:00:00.000Z']);
    fs.rmSync(path.join(layout.submitted, 'a', 'bob', '2025-03-01T11-00-00.000Z.ipynb'));
    assert.deepEqual(submissionsOf(layout, 'a')[0].submissions.map((s) => s.submittedAt), ['2025-03-01T10:00:00.000Z']);
    assert.equal(stampTime('2025-03-01T10-00-00.123Z.ipynb'), '2025-03-01T10:00:00.123Z');
    assert.equal(stampTime('notes.ipynb'), null);
    assert.throws(() => collectAssignment(layout, 'nope', path.join(dir, 'x')), /no assignment 'nope'.*release it first/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a deadline needs a time zone', () => {
  assert.equal(parseDeadline('2025-03-01T23:59Z').toISOString(), '2025-03-01T23:59:00.000Z');
  assert.equal(parseDeadline('2025-03-01T23:59:30+01:00').toISOString(), '2025-03-01T22:59:30.000Z');
  assert.throws(() => parseDeadline('2025-03-01T23:59'), /time zone: write e\.g\. 2025-03-01T23:59:00Z/);
  assert.throws(() => parseDeadline('tomorrow'), /not an ISO 8601 time/);
});

test('optilab hub: usage mistakes exit 2 with a clear message', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'hub', ...args], { cwd: ROOT, encoding: 'utf8' });
  const bad = run(['--authenticator', 'ldap']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--authenticator must be one of pam, test, got 'ldap'/);
  const due = run(['collect', 'x', '--out', '/tmp/x', '--due', 'friday']);
  assert.equal(due.status, 2);
  assert.match(due.stderr, /not an ISO 8601 time with a time zone/);
  const pw = run(['--test-password', 'x']);
  assert.equal(pw.status, 2);
  assert.match(pw.stderr, /--test-password goes with --authenticator test/);
  const help = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'help', 'hub'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(help.stdout, /optilab hub release <source\.ipynb>/);
});

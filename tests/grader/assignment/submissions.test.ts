// Student ids and notebook picking (src/grader/assignment/submissions.ts): ids are injective and stable, a student's
// folder is graded on the notebook named as the assignment, ambiguity and id clashes are refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { listSubmissions, pickNotebook, studentId } from '../../../src/grader/assignment/submissions';

function folder(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subs-'));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '{}');
  }
  return dir;
}

test('names that differ only in characters outside the safe set get different ids', () => {
  assert.equal(studentId('zoe_b.ipynb'), 'zoe_b');
  assert.notEqual(studentId('zoe b.ipynb'), studentId('zoe_b.ipynb'));
  const names = ['zoe b', 'zoe_b', 'zoe~20b', 'zoé', 'zoe%20b', '.hidden', '~2ehidden', 'a/b', 'a_b', 'a.b', 'x'.repeat(300), 'x'.repeat(299) + 'y'];
  const ids = names.map(studentId);
  assert.equal(new Set(ids).size, names.length, ids.join('\n'));
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/);
    assert.ok(id.length <= 100, id);
  }
});

test('ids do not depend on which other submissions are in the folder', () => {
  const one = listSubmissions(folder(['zoe_b.ipynb']), 'lab');
  const two = listSubmissions(folder(['zoe_b.ipynb', 'zoe b.ipynb']), 'lab');
  assert.equal(one[0].student, 'zoe_b');
  assert.equal(two.find((s) => s.file!.endsWith('zoe_b.ipynb'))!.student, 'zoe_b');
  assert.notEqual(two.find((s) => s.file!.endsWith('zoe b.ipynb'))!.student, 'zoe_b');
});

test('a file and a folder of the same student are refused, naming both', () => {
  const dir = folder(['alice.ipynb', 'alice/lab.ipynb']);
  assert.throws(() => listSubmissions(dir, 'lab'), (e: Error) => e.message.includes('alice.ipynb') && e.message.includes(`${path.sep}alice `) && e.message.includes("'alice'"));
});

test('the notebook named as the assignment is graded and the others are reported', () => {
  assert.deepEqual(pickNotebook(['Scratch.ipynb', 'quantization-lab.ipynb', 'notes.txt'], 'quantization-lab'), { file: 'quantization-lab.ipynb', ignored: ['Scratch.ipynb'] });
  assert.deepEqual(pickNotebook(['Quantization-Lab.ipynb'], 'quantization-lab'), { file: 'Quantization-Lab.ipynb', ignored: [] });
  assert.deepEqual(pickNotebook(['mine.ipynb'], 'quantization-lab'), { file: 'mine.ipynb', ignored: [] });
  assert.deepEqual(pickNotebook(['notes.txt'], 'quantization-lab'), { file: null, ignored: [] });
  const subs = listSubmissions(folder(['bob/Scratch.ipynb', 'bob/quantization-lab.ipynb']), 'quantization-lab');
  assert.equal(path.basename(subs[0].file!), 'quantization-lab.ipynb');
  assert.deepEqual(subs[0].ignored, ['Scratch.ipynb']);
});

test('several notebooks and none named as the assignment: refused with a message', () => {
  const p = pickNotebook(['a.ipynb', 'b.ipynb'], 'quantization-lab');
  assert.equal(p.file, null);
  assert.match(p.refusal!, /2 notebooks \(a\.ipynb, b\.ipynb\).*quantization-lab\.ipynb/);
  const subs = listSubmissions(folder(['carol/a.ipynb', 'carol/b.ipynb']), 'quantization-lab');
  assert.equal(subs[0].file, null);
  assert.match(subs[0].refusal!, /2 notebooks/);
});

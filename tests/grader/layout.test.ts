// The grader's folders by trust boundary (ARCHITECTURE.md): imports between them go one way only, and what
// runs inside the student's kernel (in-kernel/) reaches nothing of the grader but the shared wire format.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const GRADER = path.join(__dirname, '..', '..', 'src', 'grader');

/** Which other parts of src/grader each folder may import (a folder name, or a file at the grader's root). */
const ALLOWED: Record<string, string[]> = {
  'in-kernel': ['wire.js'],
  kernel: ['asset-path'],
  assignment: [],
  trusted: ['kernel', 'assignment', 'asset-path', 'assess.js', 'wire.js'],
  output: ['trusted'],
  engine: ['trusted', 'kernel', 'assignment', 'output'],
};

/** The relative import specifiers of one source file (import/export from, require, import()). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|require\(|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) found.push(m[1]);
  return found;
}

/** The part of src/grader a specifier from `folder` lands in: a folder name or a root file's name. */
function landsIn(folder: string, spec: string): string {
  const rel = path.relative(GRADER, path.resolve(GRADER, folder, spec));
  assert.ok(!rel.startsWith('..'), `${folder}: ${spec} leaves src/grader`);
  const [first, ...rest] = rel.split(path.sep);
  return rest.length ? first : first.replace(/\.ts$/, '');
}

test('the grader has exactly the folders of its trust boundaries', () => {
  const folders = fs.readdirSync(GRADER, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual(folders, Object.keys(ALLOWED).sort());
});

for (const [folder, allowed] of Object.entries(ALLOWED)) {
  test(`${folder}/ imports only ${allowed.length ? allowed.join(', ') : 'its own files'}`, () => {
    const bad: string[] = [];
    for (const f of fs.readdirSync(path.join(GRADER, folder)).filter((x) => /\.(ts|js)$/.test(x))) {
      for (const spec of relativeImports(path.join(GRADER, folder, f))) {
        const part = landsIn(folder, spec);
        if (part !== folder && !allowed.includes(part)) bad.push(`${folder}/${f} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

test('the layout check sees a forbidden import (in-kernel/ reaching trusted/)', () => {
  assert.equal(landsIn('in-kernel', '../trusted/checker.js'), 'trusted');
  assert.ok(!ALLOWED['in-kernel'].includes(landsIn('in-kernel', '../trusted/checker.js')));
  assert.equal(landsIn('trusted', '../wire.js'), 'wire.js');
  assert.equal(landsIn('engine', '../asset-path'), 'asset-path');
});

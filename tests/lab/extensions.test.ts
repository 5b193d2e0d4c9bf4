/**
 * The sources of the lab's extension packages (labextension/<package>/src): they reach the library only through
 * the viz module's public entry src/viz/index.ts, and the hand-in plugin defines no size limit of its own (the
 * one limit is the grader's MAX_SUBMISSION_BYTES, which the hub passes to the lab's server).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers';

const LAB = path.join(ROOT, 'labextension');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|tsx|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Every `from '...'`, `import '...'`, `import('...')` and `require('...')` specifier of `code`. */
function specifiers(code: string): string[] {
  const re = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...code.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

const packages = fs.readdirSync(LAB, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(LAB, e.name, 'src')))
  .map((e) => path.join(LAB, e.name));

test('the extension sources import the library only through src/viz/index.ts', () => {
  assert.deepEqual(packages.map((p) => path.basename(p)).sort(), ['optilab-submit', 'optilab-viz']);
  const bad: string[] = [];
  let viaIndex = 0;
  for (const pkg of packages) {
    for (const f of sources(path.join(pkg, 'src'))) {
      for (const spec of specifiers(fs.readFileSync(f, 'utf8'))) {
        const where = `${path.relative(ROOT, f)} imports '${spec}'`;
        if (/^@?optilab(\/|$)/.test(spec)) bad.push(`${where} (a package name of the library)`);
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), spec);
        if (target === pkg || target.startsWith(pkg + path.sep)) continue; // its own files
        const viz = path.join(ROOT, 'src', 'viz');
        if (target === viz || target === path.join(viz, 'index') || target === path.join(viz, 'index.ts')) viaIndex++;
        else bad.push(`${where} (outside its package: only src/viz/index.ts may be imported)`);
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(viaIndex >= 1, 'the visualizers import src/viz through its index');
});

test('the hand-in plugin defines no size limit (the server enforces the grader\'s MAX_SUBMISSION_BYTES)', () => {
  const code = sources(path.join(LAB, 'optilab-submit', 'src')).map((f) => fs.readFileSync(f, 'utf8')).join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\bMiB\b|\b1024\b|\b2\s*\*\*\s*20\b|\b\d{6,}\b|1e6|MAX_SUBMISSION/i);
});

/**
 * The dependency direction of ARCHITECTURE.md, checked on the source: faces (cli, hub, lab extension, site,
 * bench) -> library -> viz, never back, and no import circle inside the library.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'lib', '.docusaurus', 'runtime']);

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...sourceFiles(full));
    } else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Module specifiers of a file: import/export ... from, bare import, import(), require(). */
export function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  // comments hold examples (`@example` lines), not imports
  const stripped = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const re of patterns) for (const m of stripped.matchAll(re)) found.push(m[1]);
  return found;
}

/** The file a relative specifier names, or null (a package, or a file that does not exist). */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}.js`, `${base}.mjs`, base.replace(/\.js$/, '.ts'), path.join(base, 'index.ts'), path.join(base, 'index.js')];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? null;
}

function graph(files: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) g.set(f, specifiers(fs.readFileSync(f, 'utf8')).map((s) => resolve(f, s)).filter((x): x is string => x !== null));
  return g;
}

/** Every import circle of the graph (each once), as file lists. */
function cycles(g: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (!g.has(m)) continue;
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}

const rel = (f: string) => path.relative(ROOT, f);
const inside = (f: string, dir: string) => !path.relative(path.join(ROOT, dir), f).startsWith('..');

test('the specifier reader finds every form of import and ignores comments', () => {
  const code = "import a from './a';\nimport type { B } from \"./b\";\nexport { c } from './c';\nimport './d';\nconst e = require('./e');\nconst f = await import('./f');\n// import g from './g'\n/** @example import h from './h' */";
  assert.deepEqual(specifiers(code).sort(), ['./a', './b', './c', './d', './e', './f']);
});

test('the cycle finder reports a circle (so the next test can fail)', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(cycles(g), [['a', 'b', 'c', 'a']]);
});

test('no import circle inside src/', () => {
  const found = cycles(graph(sourceFiles(path.join(ROOT, 'src'))));
  assert.deepEqual(found.map((c) => c.map(rel).join(' -> ')), []);
});

test('nothing outside src/cli imports src/cli (the library, the hub, the lab extension, the site, bench, scripts)', () => {
  const faces = ['src', 'labextension', 'site/src', 'site/scripts', 'bench', 'scripts'];
  const bad: string[] = [];
  for (const dir of faces) {
    for (const f of sourceFiles(path.join(ROOT, dir))) {
      if (inside(f, 'src/cli')) continue;
      for (const spec of specifiers(fs.readFileSync(f, 'utf8'))) {
        const target = resolve(f, spec);
        if ((target && inside(target, 'src/cli')) || /^optilab\/(dist\/)?cli\b/.test(spec)) bad.push(`${rel(f)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('the library never imports a face, and src/viz imports nothing else of the library', () => {
  const faces = ['src/cli', 'src/hub', 'labextension', 'site', 'bench'];
  const bad: string[] = [];
  for (const f of sourceFiles(path.join(ROOT, 'src'))) {
    const face = ['src/cli', 'src/hub'].some((d) => inside(f, d));
    for (const spec of specifiers(fs.readFileSync(f, 'utf8'))) {
      const target = resolve(f, spec);
      if (!target) continue;
      if (!face && faces.some((d) => inside(target, d))) bad.push(`${rel(f)} (library) imports ${rel(target)} (a face)`);
      if (inside(f, 'src/viz') && !inside(target, 'src/viz')) bad.push(`${rel(f)} (viz) imports ${rel(target)}`);
    }
  }
  assert.deepEqual(bad, []);
});

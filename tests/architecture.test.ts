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

/**
 * One public door per part of the library for the course site: what src/package.json "exports" names (less the
 * Node entry "."): optilab/core (src/core.ts), optilab/viz (src/viz/index.ts) and optilab/lite (src/lite.ts, the
 * tfjs-free part of core, for the pages' main thread: see its header). The site's bundle reaches them as
 * `@optilab/<entry>` (the alias in site/docusaurus.config.ts), its Node build scripts as `optilab/<entry>`.
 */
const LIB_ENTRIES = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'package.json'), 'utf8')).exports as Record<string, unknown>)
  .filter((k) => k !== '.' && k !== './package.json')
  .map((k) => k.replace(/^\.\//, ''))
  .sort();

/** The specifiers of a site file, plus `createRequire(...)('x')` and `someRequire('x')` calls of its build scripts. */
function siteSpecifiers(code: string): string[] {
  const stripped = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const extra = [/\bcreateRequire\([^)]*\)\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\b\w+Require\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return [...specifiers(code), ...extra.flatMap((re) => [...stripped.matchAll(re)].map((m) => m[1]))];
}

test('the site imports the library only through its public entries (optilab/core, optilab/viz, optilab/lite)', () => {
  assert.deepEqual(LIB_ENTRIES, ['core', 'lite', 'viz']);
  const files = [...sourceFiles(path.join(ROOT, 'site', 'src')), ...sourceFiles(path.join(ROOT, 'site', 'scripts'))];
  for (const f of ['docusaurus.config.ts', 'sidebars.ts']) if (fs.existsSync(path.join(ROOT, 'site', f))) files.push(path.join(ROOT, 'site', f));
  assert.ok(files.length > 10, `found only ${files.length} site files`);
  const bad: string[] = [];
  for (const f of files) {
    for (const spec of siteSpecifiers(fs.readFileSync(f, 'utf8'))) {
      const lib = /^@?optilab(?:\/(.*))?$/.exec(spec);
      if (lib && !LIB_ENTRIES.includes(lib[1] ?? '')) bad.push(`${rel(f)} imports ${spec}`);
      const target = spec.startsWith('.') ? path.resolve(path.dirname(f), spec) : null;
      if (target && inside(target, 'src')) bad.push(`${rel(f)} imports ${spec} (a path into the library; use @optilab/<entry>)`);
    }
  }
  assert.deepEqual(bad, []);
  // The doors themselves: the bundler's alias and the site's tsconfig paths declare exactly these entries.
  const config = fs.readFileSync(path.join(ROOT, 'site', 'docusaurus.config.ts'), 'utf8');
  const aliases = [...config.matchAll(/['"](@optilab[^'"]*)['"]\s*:/g)].map((m) => m[1]).sort();
  assert.deepEqual(aliases, LIB_ENTRIES.map((e) => `@optilab/${e}$`));
  const tsconfig = fs.readFileSync(path.join(ROOT, 'site', 'tsconfig.json'), 'utf8');
  const paths = [...tsconfig.matchAll(/['"](@optilab[^'"]*)['"]\s*:/g)].map((m) => m[1]).sort();
  assert.deepEqual(paths, LIB_ENTRIES.map((e) => `@optilab/${e}`));
});

/** The files an entry re-exports (`export * from` / `export { .. } from`), followed through barrels. */
function reexported(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string) => {
    const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]/g)) {
      const t = resolve(f, m[1]);
      if (t && !seen.has(t)) {
        seen.add(t);
        walk(t);
      }
    }
  };
  walk(entry);
  return seen;
}

test('optilab/lite is a part of core without tfjs, and optilab/viz exports every file of src/viz', () => {
  const lite = path.join(ROOT, 'src', 'lite.ts');
  const core = reexported(path.join(ROOT, 'src', 'core.ts'));
  const notInCore = [...reexported(lite)].filter((f) => !core.has(f)).map(rel);
  assert.deepEqual(notInCore, [], 'everything optilab/lite exports must be exported by optilab/core too');
  // Run-time imports only (type imports are erased), followed through the library's files.
  const heavy: string[] = [];
  const seen = new Set<string>();
  const queue = [lite];
  while (queue.length) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const code = fs.readFileSync(f, 'utf8').replace(/\b(?:import|export)\s+type\s[^;]*?from\s*['"][^'"]+['"]/g, '');
    for (const spec of specifiers(code)) {
      const t = resolve(f, spec);
      if (t) queue.push(t);
      else if (!spec.startsWith('.')) heavy.push(`${rel(f)} imports ${spec}`);
    }
  }
  assert.ok(seen.size > 10, `walked only ${seen.size} files from src/lite.ts`);
  assert.deepEqual(heavy, [], 'optilab/lite is bundled on the site pages\' main thread: no package (tfjs) or Node built-in');
  const vizIndex = path.join(ROOT, 'src', 'viz', 'index.ts');
  const vizExported = reexported(vizIndex);
  const hidden = sourceFiles(path.join(ROOT, 'src', 'viz')).filter((f) => f !== vizIndex && !vizExported.has(f)).map(rel);
  assert.deepEqual(hidden, [], 'a file of src/viz that src/viz/index.ts does not export is reachable only by a deep import');
  assert.ok(core.has(vizIndex), 'core exports ./viz');
});

test('the optilab MIME types are written only in src/viz (everyone else imports them from there)', () => {
  // Code only: comments that name a MIME type for the reader are not a second definition.
  const dirs = ['site', 'src', 'bench', 'scripts', ...fs.readdirSync(path.join(ROOT, 'labextension'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(ROOT, 'labextension', e.name, 'src')))
    .map((e) => path.join('labextension', e.name, 'src'))];
  const bad: string[] = [];
  for (const dir of dirs) {
    for (const f of sourceFiles(path.join(ROOT, dir))) {
      if (inside(f, 'src/viz') || inside(f, 'src/dist')) continue;
      const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      if (/application\/vnd\.optilab/.test(code)) bad.push(rel(f));
    }
  }
  assert.ok(dirs.length > 4, 'the lab extension sources are scanned too');
  assert.deepEqual(bad, []);
});

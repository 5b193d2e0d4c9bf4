// Build-time data of the site, written to src/generated/ (git-ignored):
// - bench.json: every bench/results/*.json produced by `npm run bench -- <name>`, keyed by name
//   (figures of experimental results read only this; a missing file shows a "run the bench" placeholder);
// - exercises.json: the chapter exercises' texts rendered to HTML (KaTeX math);
// - notebooks: see prepare-notebooks.mjs (notebook-pages.json: the slugs of the generated notebook pages); graded labs (student versions only): see prepare-labs.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { prepareNotebooks, markdown } from './prepare-notebooks.mjs';
import { prepareLabs } from './prepare-labs.mjs';
import { prepareRuntime } from './prepare-runtime.mjs';
import { renderInline } from './render-inline.mjs';

const SITE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(SITE, '..');
const OUT = path.join(SITE, 'src', 'generated');
fs.mkdirSync(OUT, { recursive: true });

const benchDir = path.join(ROOT, 'bench', 'results');
const bench = {};
if (fs.existsSync(benchDir)) {
  for (const f of fs.readdirSync(benchDir).sort()) {
    if (!f.endsWith('.json')) continue;
    try {
      bench[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(benchDir, f), 'utf8'));
    } catch (e) {
      throw new Error(`site: bench/results/${f} is not valid JSON (${e.message}); re-run npm run bench -- ${f.slice(0, -5)}`);
    }
  }
}
fs.writeFileSync(path.join(OUT, 'bench.json'), JSON.stringify(bench));
console.log(`site: bench results ${Object.keys(bench).join(', ') || '(none)'}`);

const lib = path.join(ROOT, 'src', 'dist', 'lite.js');
if (!fs.existsSync(lib)) {
  throw new Error('site: the compiled library is missing (src/dist/lite.js): run `npm run build` at the repository root first.');
}
// Exercise texts rendered to HTML (the catalog itself is bundled from the compiled library's optilab/lite entry,
// the one the pages import as @optilab/lite).
const { chapterExercises } = createRequire(import.meta.url)('optilab/lite');
const exercises = {};
for (const ex of chapterExercises) {
  const entry = { prompt: renderInline(ex.prompt), explanation: renderInline(ex.explanation) };
  if (ex.kind === 'choice') entry.options = Object.fromEntries(ex.options.map((o) => [o.id, renderInline(o.text)]));
  exercises[ex.id] = entry;
}
fs.writeFileSync(path.join(OUT, 'exercises.json'), JSON.stringify(exercises));
console.log(`site: ${chapterExercises.length} exercises`);

prepareNotebooks({ root: ROOT, site: SITE });
// The slugs of the notebook pages just generated, for links that exist only once their notebook does
// (a link to a missing page fails the build: onBrokenLinks 'throw').
const notebookDocs = path.join(SITE, 'docs', 'notebooks');
fs.writeFileSync(
  path.join(OUT, 'notebook-pages.json'),
  JSON.stringify(fs.readdirSync(notebookDocs).filter((f) => f.endsWith('.mdx') && f !== 'index.mdx').map((f) => f.slice(0, -4)).sort()),
);
// After the notebooks (their folders are emptied first): the graded labs' student versions.
prepareLabs({ root: ROOT, site: SITE, markdown });
prepareRuntime({ root: ROOT, site: SITE });

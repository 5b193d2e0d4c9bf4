// Build-time data of the site, written to src/generated/ (git-ignored):
// - bench.json: every bench/results/*.json produced by `npm run bench -- <name>`, keyed by name
//   (figures of experimental results read only this; a missing file shows a "run the bench" placeholder);
// - notebooks: see prepare-notebooks.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareNotebooks } from './prepare-notebooks.mjs';

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

const lib = path.join(ROOT, 'src', 'dist', 'exercises', 'index.js');
if (!fs.existsSync(lib)) {
  throw new Error('site: the compiled library is missing (src/dist/exercises): run `npm run build` at the repository root first.');
}
prepareNotebooks({ root: ROOT, site: SITE });

// Notebook pages: every notebooks/*.ipynb becomes docs/notebooks/<name>.mdx, rendered from
// src/generated/notebooks/<name>.json (markdown cells turned into HTML here, with KaTeX math; code cells;
// outputs: text, HTML, images, errors, and the optilab MIME payloads that the page draws with the library's
// figure functions), plus a download copy in static/notebooks/<name>.ipynb.
// Outputs come from the notebook itself (`optilab notebooks run --in-place`); a notebook stored without
// outputs falls back to an executed copy in .cache/executed/ (written by `optilab notebooks run`) when present.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import remarkRehype from 'remark-rehype';
import rehypeKatex from 'rehype-katex';
import rehypeStringify from 'rehype-stringify';

// The payload types come from the compiled library's viz entry (optilab/viz: src/viz/index.ts, built by
// `npm run build` before the site), so a payload added to src/viz/payloads.ts is carried to the page without
// touching this script: no MIME type is written here.
function payloadMimes() {
  try {
    return createRequire(import.meta.url)('optilab/viz').PAYLOAD_MIMES;
  } catch (e) {
    throw new Error(`site: cannot read the optilab payload types from optilab/viz (src/dist/viz; run \`npm run build\` at the repository root first): ${e.message}`);
  }
}
const PAYLOAD_MIMES = payloadMimes();
export const markdown = unified().use(remarkParse).use(remarkGfm).use(remarkMath).use(remarkRehype).use(rehypeKatex).use(rehypeStringify);

const text = (v) => (Array.isArray(v) ? v.join('') : String(v ?? ''));
// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

function hasOutputs(nb) {
  return nb.cells.some((c) => Array.isArray(c.outputs) && c.outputs.length > 0);
}

function convertOutput(o) {
  if (o.output_type === 'stream') return { kind: 'text', stream: o.name, text: stripAnsi(text(o.text)) };
  if (o.output_type === 'error') return { kind: 'error', text: stripAnsi([`${o.ename}: ${o.evalue}`, ...(o.traceback ?? [])].join('\n')) };
  const data = o.data ?? {};
  for (const mime of PAYLOAD_MIMES) {
    if (data[mime] !== undefined) {
      const payload = typeof data[mime] === 'string' ? JSON.parse(data[mime]) : data[mime];
      return { kind: 'payload', mime, payload, text: text(data['text/plain']) };
    }
  }
  if (data['image/png']) return { kind: 'image', src: `data:image/png;base64,${text(data['image/png']).trim()}` };
  if (data['image/svg+xml']) return { kind: 'html', html: text(data['image/svg+xml']) };
  if (data['text/html']) return { kind: 'html', html: text(data['text/html']) };
  if (data['text/markdown']) return { kind: 'html', html: String(markdown.processSync(text(data['text/markdown']))) };
  if (data['text/plain']) return { kind: 'text', text: stripAnsi(text(data['text/plain'])) };
  return null;
}

function titleOf(nb, name) {
  for (const c of nb.cells) {
    if (c.cell_type !== 'markdown') continue;
    const m = /^#\s+(.+)$/m.exec(text(c.source));
    if (m) return m[1].replace(/[`*_]/g, '').trim();
  }
  return name;
}

export function prepareNotebooks({ root, site }) {
  const srcDir = path.join(root, 'notebooks');
  const executedDir = path.join(root, '.cache', 'executed');
  const docsDir = path.join(site, 'docs', 'notebooks');
  const dataDir = path.join(site, 'src', 'generated', 'notebooks');
  const staticDir = path.join(site, 'static', 'notebooks');
  for (const d of [docsDir, dataDir, staticDir]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const files = fs.existsSync(srcDir) ? fs.readdirSync(srcDir).filter((f) => f.endsWith('.ipynb')).sort() : [];
  const list = [];
  files.forEach((file, i) => {
    const name = file.replace(/\.ipynb$/, '');
    const raw = fs.readFileSync(path.join(srcDir, file), 'utf8');
    let nb = JSON.parse(raw);
    let outputsFrom = hasOutputs(nb) ? 'stored' : 'none';
    const executed = path.join(executedDir, file);
    if (outputsFrom === 'none' && fs.existsSync(executed)) {
      const ex = JSON.parse(fs.readFileSync(executed, 'utf8'));
      if (hasOutputs(ex)) { nb = ex; outputsFrom = 'local-run'; }
    }
    const cells = nb.cells.map((c) => {
      if (c.cell_type === 'markdown') return { type: 'markdown', html: String(markdown.processSync(text(c.source))) };
      if (c.cell_type === 'code') {
        return { type: 'code', source: text(c.source), count: c.execution_count ?? null, outputs: (c.outputs ?? []).map(convertOutput).filter(Boolean) };
      }
      return { type: 'raw', text: text(c.source) };
    });
    const title = titleOf(nb, name);
    fs.writeFileSync(path.join(dataDir, `${name}.json`), JSON.stringify({ name, file, title, outputsFrom, cells }));
    fs.writeFileSync(path.join(staticDir, file), raw);
    const slug = name.replace(/[^a-zA-Z0-9-]/g, '-');
    fs.writeFileSync(
      path.join(docsDir, `${slug}.mdx`),
      [
        '---',
        `title: ${JSON.stringify(title)}`,
        `sidebar_label: ${JSON.stringify(`${name}`)}`,
        `sidebar_position: ${i + 2}`,
        'hide_title: true',
        `slug: /notebooks/${slug}`,
        '---',
        '',
        "import NotebookView from '@site/src/components/NotebookView';",
        `import nb from '@site/src/generated/notebooks/${name}.json';`,
        '',
        '<NotebookView nb={nb} />',
        '',
      ].join('\n'),
    );
    list.push({ name, slug, file, title, outputsFrom });
  });
  fs.writeFileSync(
    path.join(docsDir, 'index.mdx'),
    [
      '---',
      'title: Notebooks',
      'sidebar_position: 1',
      'slug: /notebooks',
      '---',
      '',
      '# Notebooks',
      '',
      'The chapter\'s TypeScript notebooks (tslab kernel), rendered with their outputs. Each page has a download link',
      'and a link that opens the notebook in the course lab (start it with the README\'s start command; it serves',
      '`notebooks/` at http://127.0.0.1:8888).',
      '',
      ...list.map((n) => `- [${n.title.replace(/[[\]]/g, '')}](/notebooks/${n.slug}) — \`${n.file}\``),
      '',
    ].join('\n'),
  );
  console.log(`site: ${list.length} notebook pages (${list.map((n) => `${n.name}: ${n.outputsFrom}`).join(', ')})`);
}

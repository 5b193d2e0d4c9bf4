// Graded-lab pages: every notebooks/labs/*.ipynb becomes docs/notebooks/labs/<name>.mdx, rendered from
// src/generated/labs/<name>.json, plus a download copy in static/notebooks/labs/<name>.ipynb. All three are made
// from the STUDENT version only: the library's own `release` (src/grader/assignment/format.ts, what
// `optilab assign release` writes) removes the hidden tests and replaces the solutions by stubs before anything
// is written, and the result is checked again here (no marker, no line of a solution or of a hidden test) so a
// source with solutions can never reach the site. The lab's cells carry their nbgrader role (answer, tests with
// points, locked) so the page runs tests cells with the grader's check/expect (optilab/core createLabChecks).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const text = (v) => (Array.isArray(v) ? v.join('') : String(v ?? ''));

function library() {
  try {
    return createRequire(import.meta.url)('optilab');
  } catch (e) {
    throw new Error(`site: cannot load the optilab library to release the graded labs (run \`npm run build\` at the repository root first): ${e.message}`);
  }
}

/**
 * Lines of a source notebook that must not appear in its student version: every non-blank line inside a
 * solution or hidden-test region (markers included) that is not also a line the student version keeps, if it
 * is long enough to be distinctive.
 */
export function secretLines(source, student, ol) {
  const kept = new Set(student.cells.flatMap((c) => text(c.source).split('\n').map((l) => l.trim())));
  const out = [];
  for (const c of source.cells) {
    const lines = text(c.source).split('\n');
    const regions = [[ol.MARKERS.beginSolution, ol.MARKERS.endSolution], [ol.MARKERS.beginHidden, ol.MARKERS.endHidden]];
    for (const [begin, end] of regions) {
      let inside = false;
      for (const l of lines) {
        const t = l.trim();
        if (t === begin) inside = true;
        if (inside && t && !kept.has(t)) out.push(t);
        if (t === end) inside = false;
      }
    }
    // A solution cell without markers is all solution.
    const meta = c.metadata?.nbgrader;
    if (meta?.solution && !lines.some((l) => l.trim() === ol.MARKERS.beginSolution)) {
      for (const l of lines) if (l.trim() && !kept.has(l.trim())) out.push(l.trim());
    }
  }
  // Short lines (`];`, `return x;`) occur inside longer kept lines: only distinctive lines are looked for.
  return [...new Set(out)].filter((l) => l.length >= MIN_SECRET_LENGTH);
}

/** Lines shorter than this are not looked for as text (they are not distinctive: `];`, `return q;`). */
export const MIN_SECRET_LENGTH = 16;

function roleOf(cell) {
  const meta = cell.metadata?.nbgrader;
  if (cell.cell_type !== 'code') return undefined;
  if (meta?.grade) return { kind: 'tests', gradeId: String(meta.grade_id), points: Number(meta.points) };
  if (meta?.solution) return { kind: 'answer', gradeId: String(meta.grade_id) };
  return { kind: 'locked', gradeId: String(meta?.grade_id ?? '') };
}

export function prepareLabs({ root, site, markdown }) {
  const srcDir = path.join(root, 'notebooks', 'labs');
  const docsDir = path.join(site, 'docs', 'notebooks', 'labs');
  const dataDir = path.join(site, 'src', 'generated', 'labs');
  const staticDir = path.join(site, 'static', 'notebooks', 'labs');
  for (const d of [docsDir, dataDir, staticDir]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const files = fs.existsSync(srcDir) ? fs.readdirSync(srcDir).filter((f) => f.endsWith('.ipynb')).sort() : [];
  if (!files.length) {
    console.log('site: no graded labs (notebooks/labs/*.ipynb)');
    return;
  }
  const ol = library();
  const list = [];
  files.forEach((file, i) => {
    const name = file.replace(/\.ipynb$/, '');
    let source;
    let student;
    try {
      source = ol.parseNotebook(fs.readFileSync(path.join(srcDir, file), 'utf8'), file);
      student = ol.release(JSON.parse(JSON.stringify(source)));
    } catch (e) {
      // A lab with authoring problems has no student version yet: no page (tests/browser/site-labs.test.ts
      // fails on a lab without a page), and the rest of the site still builds.
      console.warn(`site: NOT publishing notebooks/labs/${file}: it cannot be released (${e.message.replace(/\n/g, '; ')}); run \`optilab assign validate\` on it`);
      return;
    }
    const studentText = JSON.stringify(student, null, 1) + '\n';
    const cells = student.cells.map((c) => {
      if (c.cell_type === 'markdown') return { type: 'markdown', html: String(markdown.processSync(text(c.source))) };
      if (c.cell_type === 'code') return { type: 'code', source: text(c.source), count: null, outputs: [], lab: roleOf(c) };
      return { type: 'raw', text: text(c.source) };
    });
    const tests = cells.filter((c) => c.lab?.kind === 'tests');
    const title = (() => {
      for (const c of student.cells) {
        const m = c.cell_type === 'markdown' ? /^#\s+(.+)$/m.exec(text(c.source)) : null;
        if (m) return m[1].replace(/[`*_]/g, '').trim();
      }
      return name;
    })();
    const slug = name.replace(/[^a-zA-Z0-9-]/g, '-');
    const data = JSON.stringify({
      name, file: `labs/${file}`, title, outputsFrom: 'none', cells,
      lab: { points: tests.reduce((s, c) => s + c.lab.points, 0), testsCells: tests.length },
    });
    // The release must have removed every solution and hidden test: refuse to write a page that still has one.
    const markers = Object.values(ol.MARKERS);
    const leaks = [...markers, ...secretLines(source, student, ol)].filter((l) => data.includes(JSON.stringify(l).slice(1, -1)) || studentText.includes(JSON.stringify(l).slice(1, -1)));
    if (leaks.length) throw new Error(`site: the student version of ${file} still holds solution or hidden-test text (${leaks.slice(0, 3).join(' | ')}): not publishing it`);
    fs.writeFileSync(path.join(dataDir, `${name}.json`), data);
    fs.writeFileSync(path.join(staticDir, file), studentText);
    fs.writeFileSync(
      path.join(docsDir, `${slug}.mdx`),
      [
        '---',
        `title: ${JSON.stringify(title)}`,
        `sidebar_label: ${JSON.stringify(name)}`,
        `sidebar_position: ${i + 2}`,
        'hide_title: true',
        `slug: /labs/${slug}`,
        '---',
        '',
        "import NotebookView from '@site/src/components/NotebookView';",
        `import nb from '@site/src/generated/labs/${name}.json';`,
        '',
        '<NotebookView nb={nb} />',
        '',
      ].join('\n'),
    );
    list.push({ name, slug, file, title, points: tests.reduce((s, c) => s + c.lab.points, 0) });
  });
  fs.writeFileSync(path.join(docsDir, '_category_.json'), JSON.stringify({ label: 'Graded labs', position: 90, link: { type: 'doc', id: 'notebooks/labs/index' } }));
  fs.writeFileSync(
    path.join(docsDir, 'index.mdx'),
    [
      '---',
      'title: Graded labs',
      'sidebar_position: 1',
      'slug: /labs',
      '---',
      '',
      '# Graded labs',
      '',
      'The student version of each graded lab, exactly what `optilab assign release` hands out: your answers go in the',
      'cells that say `YOUR CODE HERE`, and the tests cells run the **visible** checks here, in your browser, with the',
      "grader's own `check` and `expect`. Hidden tests are not on this site: they run only when the instructor grades,",
      'so the visible score is not the grade.',
      '',
      ...list.map((n) => `- [${n.title.replace(/[[\]]/g, '')}](/labs/${n.slug}) — \`${n.file}\`, ${n.points} points when graded`),
      '',
    ].join('\n'),
  );
  console.log(`site: ${list.length} graded-lab pages, student versions (${list.map((n) => n.name).join(', ')})`);
}

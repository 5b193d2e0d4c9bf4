/**
 * The README's measured numbers, generated from bench/results/*.json: each block between
 * `<!-- bench:KEY -->` and `<!-- /bench:KEY -->` in README.md is the rendering below of one result file, so a
 * number in the README cannot drift from the measurement it quotes. `npx tsx bench/readme-numbers.ts` rewrites
 * the blocks after a bench re-run; `--check` exits 1 when README.md differs (tests/readme-numbers.test.ts).
 */
import * as fs from 'fs';
import * as path from 'path';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ReadmeBlock {
  /** The result file it is generated from (bench/results/<file>.json). */
  file: string;
  render(result: Json): string;
}

const f1 = (x: number) => x.toFixed(1);
const date = (r: Json) => String(r.createdAt).slice(0, 10);

function row(result: Json, pick: (r: Json) => boolean, what: string): Json {
  const r = (result.rows as Json[]).find(pick);
  if (!r) throw new Error(`bench/results/${result.name}.json has no row for ${what}`);
  return r;
}

/** Every generated block of README.md, by key. */
export const README_BLOCKS: Record<string, ReadmeBlock> = {
  'train-cli': {
    file: 'train-cli',
    render(r) {
      const n = row(r, (x) => x.kernels === 'native', 'the native kernels');
      const wasm = (r.rows as Json[]).find((x) => x.kernels !== 'native');
      const load = /load average ([\d.]+)/.exec((r.notes as string[]).join(' '))?.[1];
      return [
        `Measured on this project's ${r.machine.cpus}-core machine (${n.backend} backend with the native training kernels, load average ${load} at the end;`,
        `\`npm run bench -- train-cli\`, \`bench/results/train-cli.json\`, ${date(r)}), \`optilab train --model lenet5 --epochs ${n.epochs} --out /tmp/lenet5\``,
        `reached ${(n.testAccuracy * 100).toFixed(2)}% test accuracy on the full ${n.testImages.toLocaleString('en-US')}-image test set after ${f1(n.trainSeconds)} s of training`,
        `(${f1(n.epochSecondsMin)}-${f1(n.epochSecondsMax)} s per 60,000-image epoch, ${f1(n.wallSeconds)} s wall time).`,
        wasm
          ? `On the wasm kernels alone (\`OPTILAB_NATIVE=0\`) the same run took ${f1(wasm.trainSeconds)} s of training.`
          : 'The same run on the wasm kernels alone (`OPTILAB_NATIVE=0`) is much slower; `npm run bench -- train-cli --wasm` measures it.',
      ].join('\n');
    },
  },
  'class-queue': {
    file: 'class-queue',
    render(r) {
      const q1 = row(r, (x) => x.workers === 1, '1 queue worker');
      const q2 = row(r, (x) => x.workers === 2, '2 queue workers');
      const l1 = row(r, (x) => x.workers === 0 && x.concurrency === 1, 'local grading, 1 kernel');
      const l2 = row(r, (x) => x.workers === 0 && x.concurrency === 2, 'local grading, 2 kernels');
      const load = /load average at the end ([\d.]+)/.exec(String(q1.note))?.[1];
      return [
        `Measured on this project's ${r.machine.cpus}-core machine while other work loaded it (load average ${load} at the end, ${date(r)}), ${q1.submissions} submissions of`,
        `\`quantization-lab\`, one kernel per worker: ${f1(q1.perMinute)} submissions/min with 1 worker and ${f1(q2.perMinute)}/min with 2 (on 2 machines`,
        `each would have its own cores); local grading in the same run, at the same concurrency: ${f1(l1.perMinute)} and ${f1(l2.perMinute)}/min.`,
      ].join('\n');
    },
  },
  class: {
    file: 'class',
    render(r) {
      const m = (metric: RegExp) => row(r, (x) => metric.test(x.metric), String(metric));
      const spawn = m(/^spawn/);
      const first = m(/^first cell/);
      const pss = m(/^memory per student \(PSS\)/);
      const server = m(/of which server/);
      const kernel = m(/of which tslab kernel/);
      const h = r.hub;
      const gib = Math.round(r.machine.memoryGiB);
      return [
        `\`npm run bench -- class\` lets ${h.students} students log in to a test-authenticator hub over HTTP, ${h.concurrency} at a time, each`,
        `starting a kernel and running the chapter notebooks' setup cell (\`bench/results/class.json\`, ${date(r)}). On this project's`,
        `${r.machine.cpus}-core, ${gib} GiB machine, shared with other work (load average ${Math.round(h.loadAverage.before)}-${Math.round(h.loadAverage.after)} during the run):`,
        '',
        '| | p50 | p95 |',
        '| --- | --- | --- |',
        `| login to lab page (spawn) | ${f1(spawn.p50)} s | ${f1(spawn.p95)} s |`,
        `| kernel start to first result | ${f1(first.p50)} s | ${f1(first.p95)} s |`,
        '',
        `Each student costs ${Math.round(pss.mean)} MiB (PSS, mean; ${Math.round(server.mean)} MiB for their server, ${Math.round(kernel.mean)} MiB for their tslab kernel after`,
        `\`import * as ol from 'optilab'\` and \`initBackend()\`), so **about ${f1(h.studentsPerGiB)} students per GiB** of memory, plus ${Math.round(h.sharedMiB)} MiB once`,
        'for the hub and the proxy. Kernels grow with what a notebook loads (datasets, models, training), and two cores are',
        `shared by everyone's cells: by memory alone ${gib} GiB is room for about ${Math.floor((r.machine.memoryGiB * h.studentsPerGiB) / 10) * 10} such students (${h.students} were measured), but far`,
        'fewer can train models at the same time on two cores.',
      ].join('\n');
    },
  },
  'kernel-image': {
    file: 'kernel-cpu',
    render(r) {
      const image = row(r, (x) => /image/.test(x.kernel), 'the kernel image');
      return `only slower (about ${f1(1 / image.cpuVsOrdinary)}x the CPU per submission, \`bench/results/kernel-cpu.json\`, ${date(r)}).`;
    },
  },
};

// A block on lines of its own (a paragraph) or inline (inside a list item): the rendering keeps the form.
const BLOCK = /<!-- bench:([\w-]+) -->(\n?)([\s\S]*?)\n?<!-- \/bench:\1 -->/g;

/**
 * README text with every bench block regenerated from `results` (name -> parsed JSON).
 *
 * @example
 * renderReadme(fs.readFileSync('README.md', 'utf8'), loadResults()) === readme // README is up to date
 */
export function renderReadme(readme: string, results: Record<string, Json>): string {
  return readme.replace(BLOCK, (_all, key: string, newline: string) => {
    const block = README_BLOCKS[key];
    if (!block) throw new Error(`README.md has a block bench:${key} but bench/readme-numbers.ts has no such block`);
    const result = results[block.file];
    if (!result) throw new Error(`README.md block bench:${key} needs bench/results/${block.file}.json (npm run bench -- ${block.file})`);
    return `<!-- bench:${key} -->${newline}${block.render(result)}${newline}<!-- /bench:${key} -->`;
  });
}

/** The keys of the bench blocks present in a README text. */
export function readmeBlockKeys(readme: string): string[] {
  return [...readme.matchAll(BLOCK)].map((m) => m[1]);
}

/** Every bench/results/*.json, by name. */
export function loadResults(dir: string = path.join(__dirname, 'results')): Record<string, Json> {
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.slice(0, -5), JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))]));
}

if (require.main === module) {
  const file = path.join(__dirname, '..', 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const fresh = renderReadme(readme, loadResults());
  if (process.argv.includes('--check')) {
    if (fresh !== readme) {
      console.error('README.md: bench numbers differ from bench/results; run npx tsx bench/readme-numbers.ts');
      process.exitCode = 1;
    }
  } else if (fresh !== readme) {
    fs.writeFileSync(file, fresh);
    console.log('README.md: bench blocks regenerated');
  }
}

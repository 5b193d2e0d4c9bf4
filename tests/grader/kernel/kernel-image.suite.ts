// Kernel images (src/grader/kernel/kernel-image.ts): grading kernels started from a startup snapshot behave exactly
// like kernels started the ordinary way, never use a stale declaration file, and a damaged image falls back.
// Real tslab kernels in bubblewrap: run by scripts/test.d/40-grader.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelContext } from '../../../src/grader/engine/context';
import { startKernel } from '../../../src/grader/kernel/kernel';
import { kernelImage } from '../../../src/grader/kernel/kernel-image';
import { KernelOptions, startGradingKernel } from '../../../src/grader/trusted/runner';
import { kernelV8Flags, sandboxedKernelLaunch } from '../../../src/grader/kernel/sandbox';
import { ROOT } from '../../helpers';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-image-'));
const imageDir = path.join(work, 'images');
let opts: KernelOptions;
let cleanup: () => void;

before(() => {
  const ctx = kernelContext(ROOT);
  opts = { ...ctx.opts, imageDir };
  cleanup = ctx.cleanup;
});
after(() => {
  cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Cells a lab starts with: the typed import of optilab, a value, a type error and a runtime error. */
const CELLS = [
  `import * as ref from 'optilab';\nimport { check, expect } from 'optilab';`,
  `const q = ref.qparamsFromRange(-1, 3, 0, 255, false); [q.scale.toFixed(6), q.zeroPoint]`,
  `const wrong: string = ref.qparamsFromRange;`,
  `const f32 = new Float32Array([0.5, -2]); Buffer.from(f32.buffer).length`,
  `(null as any).x`,
  // a module the notebook writes into its working folder, imported relative to it
  `require('fs').writeFileSync('helper.ts', 'export const seven: number = 7;\\n'); process.cwd() === require('path').resolve('.')`,
  `import { seven } from './helper';\nseven * 6`,
];

async function outputsOf(o: KernelOptions): Promise<{ texts: string[]; stats: { served: number; parsed: number; missed: string[] } | null }> {
  const gk = await startGradingKernel(o);
  try {
    const texts: string[] = [];
    for (const code of CELLS) {
      const r = await gk.kernel.execute(code, { timeoutMs: 60_000 });
      texts.push(`${r.status} ${JSON.stringify(r.outputs)}`);
    }
    const r = await gk.kernel.execute('JSON.stringify((globalThis as any).__optilabKernelImage?.stats ?? null)', { timeoutMs: 10_000 });
    const out = (r.outputs as any[]).map((x) => x.text ?? x.data?.['text/plain'] ?? '').join('');
    return { texts, stats: JSON.parse(out.trim()) };
  } finally {
    gk.dispose();
  }
}

test('an image is built once, reused, and rebuilt when a file it pre-parsed changed', async () => {
  const flags = kernelV8Flags();
  const image = await kernelImage({ repo: ROOT, v8Flags: flags, cacheDir: imageDir });
  const manifestFile = image.blob.replace(/\.blob$/, '.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: [string, number, number][] };
  const names = manifest.files.map(([f]) => f);
  for (const wanted of [/lib\.es5\.d\.ts$/, /@types\/node\/(ts[\d.]+\/)?index\.d\.ts$/, /src\/dist\/index\.d\.ts$/, /@tensorflow\/tfjs-core\/dist\/index\.d\.ts$/]) {
    assert.ok(names.some((n) => wanted.test(n)), `the image pre-parses ${wanted}`);
  }
  const built = fs.statSync(image.blob).mtimeMs;
  assert.equal((await kernelImage({ repo: ROOT, v8Flags: flags, cacheDir: imageDir })).blob, image.blob);
  assert.equal(fs.statSync(image.blob).mtimeMs, built, 'reused, not rebuilt');
  // as if a declaration file had been edited since the build
  manifest.files[0][1] += 1;
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  await kernelImage({ repo: ROOT, v8Flags: flags, cacheDir: imageDir });
  assert.notEqual(fs.statSync(image.blob).mtimeMs, built, 'rebuilt');
});

test('a kernel from the image gives the same outputs and type errors, with the declaration files pre-parsed', async () => {
  const plain = await outputsOf({ ...opts, image: false });
  const fromImage = await outputsOf(opts);
  assert.equal(plain.stats, null, 'the ordinary kernel has no image');
  assert.deepEqual(fromImage.texts, plain.texts);
  assert.match(fromImage.texts[1], /^ok .*0\.015686.*64/);
  assert.match(fromImage.texts[2], /^error .*is not assignable to type 'string'/);
  assert.match(fromImage.texts[4], /^error .*TypeError/);
  assert.match(fromImage.texts[6], /^ok .*42/);
  const { served, missed } = fromImage.stats!;
  assert.ok(served >= 600, `served ${served} files from the image`);
  // every declaration file but the kernel's own record of earlier cells comes from the image
  assert.deepEqual(missed.filter((f) => !f.endsWith('/__prev__.d.ts')), []);
});

test('a declaration file that changed after the build is parsed afresh, never taken from the image', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'mod-'));
  const mod = path.join(dir, 'answer');
  fs.writeFileSync(`${mod}.js`, 'exports.answer = 42;\n');
  fs.writeFileSync(`${mod}.d.ts`, 'export declare const answer: number;\n');
  const image = await kernelImage({ repo: ROOT, v8Flags: kernelV8Flags(), imports: [mod], cacheDir: imageDir });
  fs.writeFileSync(`${mod}.d.ts`, 'export declare const answer: string;\n');
  // (unsandboxed: the module lives outside what the sandbox shows)
  const launch = sandboxedKernelLaunch({ repo: ROOT, scratch: path.join(dir, 's'), socketDir: path.join(dir, 'k'), sandbox: false, image });
  const kernel = await startKernel(launch, 60_000);
  try {
    const r = await kernel.execute(`import { answer } from ${JSON.stringify(mod)};\nconst s: string = answer; s`, { timeoutMs: 30_000 });
    assert.equal(r.status, 'ok', r.stderr);
    const stats = await kernel.execute('JSON.stringify((globalThis as any).__optilabKernelImage.stats)', { timeoutMs: 10_000 });
    assert.match(JSON.stringify(stats.outputs), /served/, 'the kernel did start from the image');
  } finally {
    kernel.kill();
    launch.cleanup?.();
  }
});

test('a damaged image is dropped with a warning and kernels start the ordinary way', async () => {
  const image = await kernelImage({ repo: ROOT, v8Flags: kernelV8Flags(), cacheDir: imageDir });
  const fd = fs.openSync(image.blob, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, 0);
  fs.closeSync(fd);
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (warnings.push(String(s)), true)) as typeof process.stderr.write;
  let gk;
  try {
    gk = await startGradingKernel(opts);
  } finally {
    process.stderr.write = write;
  }
  try {
    const r = await gk.kernel.execute('1 + 1', { timeoutMs: 30_000 });
    assert.equal(r.status, 'ok');
    assert.match(warnings.join(''), /kernels start without the kernel image/);
  } finally {
    gk.dispose();
  }
});

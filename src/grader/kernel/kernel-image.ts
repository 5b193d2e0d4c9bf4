/**
 * Builds and finds the kernel image (see ../in-kernel/kernel-image-build.js): a startup snapshot from which grading kernels
 * start with TypeScript loaded and the common declaration files parsed. One image per Node binary, V8 flags,
 * TypeScript and entry script; it is rebuilt when any file it pre-parsed has changed on disk.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { graderAssetPath } from '../asset-path';

/** A built image and the node flags that start a process from it. */
export interface KernelImage {
  blob: string;
  /** V8 flags the image was built with; a kernel started from it must use exactly these. */
  v8Flags: string[];
}

export interface KernelImageOptions {
  repo: string;
  /** V8 flags of the kernels (part of the image: V8 refuses an image built with other flags). */
  v8Flags: string[];
  /** Modules whose declaration files are pre-parsed. Default ['optilab']. */
  imports?: string[];
  /** Folder for images. Default <repo>/.cache/kernel-image. */
  cacheDir?: string;
}

/** The TypeScript module tslab loads (the image must hold this exact file). */
export function tslabTypeScript(repo: string): string {
  const tslabDir = path.join(repo, 'node_modules', 'tslab');
  return require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] });
}

function imageKey(opts: KernelImageOptions, typescript: string, entry: string): string {
  const h = createHash('sha256');
  const st = fs.statSync(typescript);
  h.update(JSON.stringify([process.execPath, process.version, opts.v8Flags, opts.imports ?? ['optilab'], typescript, st.size, st.mtimeMs]));
  h.update(fs.readFileSync(entry));
  return h.digest('hex').slice(0, 16);
}

/** True when every file the image pre-parsed is unchanged (by size and modification time). */
function manifestFresh(manifestFile: string): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: [string, number, number][] };
    return m.files.length > 0 && m.files.every(([f, size, mtime]) => {
      const st = fs.statSync(f);
      return st.size === size && st.mtimeMs === mtime;
    });
  } catch {
    return false;
  }
}

const building = new Map<string, Promise<KernelImage>>();

/**
 * The kernel image for these options, built when missing or stale (about 3 s, once). Rejects with the
 * builder's error output when this Node cannot build one; callers then start kernels without an image.
 *
 * @example
 * const image = await kernelImage({ repo: repoRoot(), v8Flags: ['--max-old-space-size=1152'] });
 * // node --max-old-space-size=1152 --snapshot-blob <image.blob> <script> ...
 */
export function kernelImage(opts: KernelImageOptions): Promise<KernelImage> {
  const typescript = tslabTypeScript(opts.repo);
  // The builder is named apart from this module: tsc writes this one to dist/grader/kernel-image.js.
  const entry = graderAssetPath('in-kernel/kernel-image-build.js');
  const dir = opts.cacheDir ?? path.join(opts.repo, '.cache', 'kernel-image');
  const key = imageKey(opts, typescript, entry);
  const blob = path.join(dir, `${key}.blob`);
  const manifest = path.join(dir, `${key}.json`);
  const image: KernelImage = { blob, v8Flags: opts.v8Flags };
  if (fs.existsSync(blob) && manifestFresh(manifest)) return Promise.resolve(image);
  let p = building.get(blob);
  if (!p) {
    p = build(opts, { typescript, entry, dir, blob, manifest }).then(() => image);
    building.set(blob, p);
    p.then(() => building.delete(blob), () => building.delete(blob));
  }
  return p;
}

async function build(opts: KernelImageOptions, f: { typescript: string; entry: string; dir: string; blob: string; manifest: string }): Promise<void> {
  fs.mkdirSync(f.dir, { recursive: true });
  // The probe resolves modules the way a kernel in a scratch folder does (through a node_modules link).
  const probeDir = fs.mkdtempSync(path.join(f.dir, 'probe-'));
  fs.symlinkSync(path.join(opts.repo, 'node_modules'), path.join(probeDir, 'node_modules'));
  const tmpBlob = `${f.blob}.${process.pid}.tmp`;
  const tmpManifest = `${f.manifest}.${process.pid}.tmp`;
  const config = { typescript: f.typescript, probeDir, imports: opts.imports ?? ['optilab'], manifest: tmpManifest };
  try {
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, [...opts.v8Flags, '--snapshot-blob', tmpBlob, '--build-snapshot', f.entry], {
        cwd: probeDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OPTILAB_KERNEL_IMAGE: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text = (text + d.toString()).slice(-4000)));
      child.stderr.on('data', (d: Buffer) => (text = (text + d.toString()).slice(-4000)));
      child.on('error', (e) => resolve({ code: -1, text: String(e) }));
      child.on('close', (code) => resolve({ code, text }));
    });
    if (out.code !== 0 || !fs.existsSync(tmpBlob)) throw new Error(`building the kernel image failed (exit ${out.code}): ${out.text.trim().slice(-1000)}`);
    // manifest last: an image counts as built only when both files are in place
    fs.renameSync(tmpBlob, f.blob);
    fs.renameSync(tmpManifest, f.manifest);
  } finally {
    fs.rmSync(probeDir, { recursive: true, force: true });
    fs.rmSync(tmpBlob, { force: true });
    fs.rmSync(tmpManifest, { force: true });
  }
}

const warned = new Set<string>();
const rejected = new Set<string>();

let fallback: string | null = null;

/**
 * Why kernels of this process started without the kernel image (the first reason), or null when they did not.
 *
 * @example
 * kernelImageFallback() // null, or 'building the kernel image failed (exit 1): ...'
 */
export function kernelImageFallback(): string | null {
  return fallback;
}

function warnOnce(msg: string): void {
  fallback ??= msg.split('\n')[0].slice(0, 300);
  if (warned.has(msg)) return;
  warned.add(msg);
  process.stderr.write(`optilab grader: kernels start without the kernel image (${msg.split('\n')[0].slice(0, 300)})\n`);
}

/**
 * Stops using an image in this process after a kernel failed to start from it (one warning on stderr).
 *
 * @example
 * rejectKernelImage(image, new Error('the kernel exited with code 14 while starting'));
 */
export function rejectKernelImage(image: KernelImage, why: Error): void {
  rejected.add(image.blob);
  warnOnce(`${image.blob}: ${why.message}`);
}

/**
 * {@link kernelImage}, or null (after one warning on stderr) when no image can be built here, or when
 * OPTILAB_KERNEL_IMAGE=0 turns images off. Kernels then start the ordinary way, only slower.
 *
 * @example
 * const image = await kernelImageOrNull({ repo, v8Flags: kernelV8Flags(limits) });
 */
export async function kernelImageOrNull(opts: KernelImageOptions): Promise<KernelImage | null> {
  if (process.env.OPTILAB_KERNEL_IMAGE === '0') return null;
  try {
    const image = await kernelImage(opts);
    return rejected.has(image.blob) ? null : image;
  } catch (e) {
    warnOnce((e as Error).message);
    return null;
  }
}

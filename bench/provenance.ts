/**
 * How a benchmark result was made: the command line, the commit and whether the tree had uncommitted changes,
 * the OPTILAB_* environment, the machine's load before and after, Node, the CPU, and the tfjs backend and
 * kernels that ran. bench/harness.ts writes it into every bench/results/<name>.json as `provenance`.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { kernelsInUse } from '../src/backend';

export interface GitState {
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  head: string | null;
  /** True when tracked files differ from HEAD or untracked files exist; null outside a git checkout. */
  dirty: boolean | null;
  /** The changed paths (`git status --porcelain`, at most 50), so a reader can judge whether they matter. */
  changed: string[];
}

export interface Provenance {
  /** When the provenance was taken (ISO 8601). */
  date: string;
  /** The command line that ran the bench (process.argv, the node binary first). */
  command: string[];
  git: GitState;
  /** Every OPTILAB_* variable set in the environment. */
  env: Record<string, string>;
  /** os.loadavg() (1, 5, 15 minutes) when the bench started and when it finished. */
  loadAvg: { before: number[]; after: number[] };
  node: string;
  cpu: { model: string; count: number };
  /**
   * The tfjs backend this process ran on (null when the bench never initialised one, e.g. it times child
   * processes), what ran the heavy kernels ('native' = src/native's addon on wasm), and the addon's status.
   */
  backend: { name: string | null; kernels: string; native: { loaded: boolean; version?: string; threads?: number; detail: string } };
}

/** os.loadavg() when this module was first loaded: the start of a bench run by bench/run.ts. */
export const LOAD_AT_START: number[] = os.loadavg();

const round2 = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);

/**
 * The commit checked out in `dir` and whether the working tree differs from it.
 *
 * @example
 * gitState('/work/main') // { head: '49ff73e...', dirty: true, changed: [' M README.md'] }
 */
export function gitState(dir: string = path.resolve(__dirname, '..')): GitState {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return { head: null, dirty: null, changed: [] };
  const status = git('status', '--porcelain', '--untracked-files=normal');
  if (status.status !== 0) return { head: head.stdout.trim(), dirty: null, changed: [] };
  const changed = status.stdout.split('\n').filter((l) => l.trim() !== '');
  return { head: head.stdout.trim(), dirty: changed.length > 0, changed: changed.slice(0, 50) };
}

/** The OPTILAB_* variables of `env`, sorted by name. */
export function optilabEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.keys(env)
      .filter((k) => k.startsWith('OPTILAB_') && env[k] !== undefined)
      .sort()
      .map((k) => [k, env[k] as string]),
  );
}

/**
 * The provenance of a bench run, taken when it finishes.
 *
 * @example
 * const p = collectProvenance();
 * console.log(p.git.head, p.git.dirty, p.loadAvg.before, p.backend.kernels);
 */
export function collectProvenance(options: { loadBefore?: number[]; repo?: string; argv?: string[]; env?: NodeJS.ProcessEnv } = {}): Provenance {
  const { backend, kernels, native } = kernelsInUse();
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    command: options.argv ?? process.argv,
    git: gitState(options.repo),
    env: optilabEnv(options.env),
    loadAvg: { before: round2(options.loadBefore ?? LOAD_AT_START), after: round2(os.loadavg()) },
    node: process.version,
    cpu: { model: cpus[0]?.model ?? 'unknown', count: cpus.length },
    backend: { name: backend, kernels, native: { loaded: native.loaded, version: native.version, threads: native.threads, detail: native.detail } },
  };
}

/**
 * One line saying how a result was made, printed above a bench's table.
 *
 * @example
 * provenanceLine(p) // 'commit 49ff73e2b1c4 (uncommitted changes: 3 paths) · 2026-12-06T04:40:00Z · load 1.20 -> 2.05 · wasm/native'
 */
export function provenanceLine(p: Provenance): string {
  const commit = p.git.head === null ? 'commit unknown (not a git checkout)' : `commit ${p.git.head.slice(0, 12)}`;
  const dirty = p.git.dirty === null ? 'dirty unknown' : p.git.dirty ? `dirty: ${p.git.changed.length} changed path${p.git.changed.length === 1 ? '' : 's'}` : 'clean';
  const load = `load ${p.loadAvg.before[0]?.toFixed(2)} -> ${p.loadAvg.after[0]?.toFixed(2)} (${p.cpu.count} cpus)`;
  const kernels = p.backend.name === null ? 'no tfjs backend in this process' : `${p.backend.name}/${p.backend.kernels}`;
  return `${commit} · ${dirty} · ${p.date.replace(/\.\d+Z$/, 'Z')} · ${load} · ${kernels}`;
}

/**
 * The sandbox one grading kernel runs in: bubblewrap with no network (own network namespace, no TCP at all:
 * the kernel talks to the grader over ipc sockets in its private folder), a read-only view of only what a
 * tslab kernel needs (/usr, a few /etc files, the checkout's node_modules and the optilab package), an empty
 * /proc, a private /tmp and a private writable scratch folder as its working directory (both size-capped
 * tmpfs, in memory counted by the memory cgroup), its own PID namespace (so killing the sandbox kills every
 * process it started), and resource limits (prlimit: data segment = memory, file size, open files, CPU
 * seconds; cgroups: processes, memory). The socket folder shared with the grader holds only the kernel's
 * sockets: it is read-only for the kernel once it has started, and the connection file is gone by then. Everything else on the machine — the assignment source with
 * its hidden tests, the other submissions, the gradebook, the git history — does not exist inside.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { KernelLaunch } from './kernel';
import { KernelImage } from './kernel-image';
import { openProcessFilter } from './seccomp';

export interface SandboxLimits {
  /** Memory limit in MiB (default 1536): the cgroup gets 1.25 x, the JavaScript heap 0.75 x, the data rlimit see dataLimitMiB. */
  memoryMiB?: number;
  /** Largest file the kernel may write, MiB. Default 64. */
  fileSizeMiB?: number;
  /** CPU seconds for the whole kernel (a backstop behind the grader's wall-clock limits). Default 600. */
  cpuSeconds?: number;
  /** Maximum processes (cgroup pids.max when cgroups are writable). Default 128. */
  maxProcesses?: number;
  /** Size of the scratch folder (the working directory, a tmpfs), MiB. Default 256; /tmp gets 64. */
  scratchMiB?: number;
}

/** Default size caps of the kernel's writable folders (tmpfs, so the memory cgroup counts them too). */
export const SCRATCH_DEFAULTS = { scratchMiB: 256, tmpMiB: 64 };

/** uid that owns a kernel's socket folder, so that the kernel (root without capabilities) cannot chmod it back. */
const SOCKET_DIR_OWNER = 65534;

let bwrapChecked: boolean | null = null;

/** True when bubblewrap can create the namespaces the sandbox needs on this machine. */
export function sandboxAvailable(): boolean {
  if (bwrapChecked === null) {
    const r = spawnSync('bwrap', ['--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--unshare-all', '--die-with-parent', '/usr/bin/true'], { stdio: 'ignore', timeout: 10_000 });
    bwrapChecked = r.status === 0;
  }
  return bwrapChecked;
}

/** /etc entries a Node process reads (never the whole /etc: no shadow file, no host configuration). */
const ETC_FILES = ['passwd', 'group', 'hosts', 'nsswitch.conf', 'localtime', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'ssl', 'ca-certificates'];

/**
 * Builds the launch description of one sandboxed tslab kernel.
 *
 * @example
 * const launch = sandboxedKernelLaunch({ repo: repoRoot(), scratch: '/tmp/g/s1', socketDir: '/tmp/g/k1' });
 * const kernel = await startKernel(launch);
 */
export function sandboxedKernelLaunch(opts: { repo: string; scratch: string; socketDir: string; limits?: SandboxLimits; sandbox?: boolean; image?: KernelImage | null }): KernelLaunch {
  const { repo, scratch, socketDir } = opts;
  const limits = opts.limits ?? {};
  fs.mkdirSync(scratch, { recursive: true });
  fs.mkdirSync(socketDir, { recursive: true });
  // tslab resolves @types/node and modules from the notebook's folder upwards.
  const link = path.join(scratch, 'node_modules');
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(repo, 'node_modules'), link);
  const tslab = path.join(repo, 'node_modules', 'tslab', 'bin', 'tslab');
  const node = process.execPath;
  const dataBytes = dataLimitMiB(limits) * 2 ** 20;
  const prlimit = [
    'prlimit',
    `--data=${dataBytes}`,
    `--fsize=${Math.round((limits.fileSizeMiB ?? 64) * 2 ** 20)}`,
    '--nofile=512',
    `--cpu=${limits.cpuSeconds ?? 600}`,
    '--core=0',
    '--',
  ];
  const v8Flags = kernelV8Flags(limits);
  // V8 refuses an image built with other flags: then the kernel starts without one.
  const image = opts.image && opts.image.v8Flags.join(' ') === v8Flags.join(' ') ? opts.image : null;
  const kernelArgv = [node, ...v8Flags, ...(image ? ['--snapshot-blob', image.blob] : []), tslab, 'kernel', '--config-path', '{connection_file}'];
  const cg = createCgroups(path.basename(scratch), limits);
  const nproc = nprocFallback(limits, cg);
  if (nproc !== null) prlimit.splice(prlimit.length - 1, 0, `--nproc=${nproc}`);
  lastReport = describeLimits(limits, cg, nproc);
  const enter = cg.procs.length ? ['/bin/sh', '-c', 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f"; shift; done; shift; exec "$@"', 'cg', ...cg.procs, '--'] : [];
  if (opts.sandbox === false) return { argv: [...enter, ...prlimit, ...kernelArgv], socketDir, extraStdio: ['pipe'], env: kernelEnv(scratch), cleanup: cg.remove };
  const ro = (p: string) => (fs.existsSync(p) ? ['--ro-bind', p, p] : []);
  const mib = (n: number) => String(Math.round(n * 2 ** 20));
  const socketDirLocked = prepareSocketDir(socketDir);
  // fd 3 is the harness's pipe; fd 4 (where the architecture has one) the filter refusing new processes
  const filterFd = openProcessFilter(socketDir);
  let filterOpen = filterFd !== null;
  const closeFilter = () => {
    if (filterOpen) fs.closeSync(filterFd!);
    filterOpen = false;
  };
  lastReport += filterFd !== null ? '; no new processes (seccomp)' : '; NOT in force: the seccomp filter against new processes (no filter for this architecture)';
  const argv = [
    ...enter,
    ...prlimit,
    'bwrap',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/sbin', '/sbin',
    ...ETC_FILES.flatMap((f) => ro(path.join('/etc', f))),
    ...(node.startsWith('/usr/') ? [] : ro(path.dirname(path.dirname(node)))),
    '--dev', '/dev',
    '--tmpfs', '/proc',
    '--size', mib(SCRATCH_DEFAULTS.tmpMiB), '--tmpfs', '/tmp',
    ...ro(path.join(repo, 'node_modules')),
    // the optilab package (node_modules/optilab links here): library code only, no notebooks or tests
    ...ro(path.join(repo, 'src')),
    ...(image ? ro(image.blob) : []),
    // the scratch folder is a tmpfs of its own inside the sandbox (nothing of it reaches the host's disk)
    '--size', mib(limits.scratchMiB ?? SCRATCH_DEFAULTS.scratchMiB), '--tmpfs', scratch,
    '--symlink', path.join(repo, 'node_modules'), path.join(scratch, 'node_modules'),
    '--bind', socketDir, socketDir,
    '--chdir', scratch,
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    ...(filterFd !== null ? ['--seccomp', '4'] : []),
    '--setenv', 'HOME', scratch,
    ...kernelArgv,
  ];
  return {
    argv,
    socketDir,
    extraStdio: filterFd !== null ? ['pipe', filterFd] : ['pipe'],
    env: kernelEnv(scratch),
    onSpawn: closeFilter,
    cleanup: () => {
      closeFilter();
      cg.remove();
    },
    onConnected: socketDirLocked,
  };
}

/**
 * Gives the socket folder to an unprivileged owner, writable until the kernel has created its sockets; the
 * returned function then makes it read-only. Without root (no chown) the folder stays the grader's, and the
 * kernel could chmod it back: the file size limit is then the only bound on what it writes there.
 */
function prepareSocketDir(dir: string): () => void {
  try {
    fs.chownSync(dir, SOCKET_DIR_OWNER, SOCKET_DIR_OWNER);
    fs.chmodSync(dir, 0o777);
  } catch {
    return () => undefined;
  }
  return () => fs.chmodSync(dir, 0o555);
}

/**
 * RLIMIT_DATA of a kernel, MiB. It counts address space a process reserves, not memory it uses (V8 and the
 * allocator reserve far ahead), so at the memory limit itself a small limit such as 256 MiB stops an honest
 * tslab kernel while it starts. It is the memory limit or the JavaScript heap plus 512 MiB, whichever is
 * larger; what the sandbox really uses is bounded by the memory cgroup (1.25 x the limit, tmpfs included).
 */
export function dataLimitMiB(limits: SandboxLimits = {}): number {
  return Math.max(limits.memoryMiB ?? 1536, kernelHeapMiB(limits) + 512);
}

/**
 * The V8 flags of a grading kernel: its heap limit, below the memory limit so that a runaway cell ends with a
 * JavaScript out-of-memory error rather than the whole process being killed. (A kernel image is built with
 * exactly these flags.)
 */
export function kernelV8Flags(limits: SandboxLimits = {}): string[] {
  return [`--max-old-space-size=${kernelHeapMiB(limits)}`];
}

/** A kernel's JavaScript heap limit, MiB: three quarters of the memory limit, at least 192. */
export function kernelHeapMiB(limits: SandboxLimits = {}): number {
  return Math.max(192, Math.round((limits.memoryMiB ?? 1536) * 0.75));
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** What {@link createCgroups} set up for one kernel. */
export interface CgroupSetup {
  /** cgroup.procs files the kernel's launcher joins. */
  procs: string[];
  /** Removes the kernel's cgroups (after it has exited). */
  remove: () => void;
  /** The limits in force, in words, e.g. 'processes <= 128 (cgroup v2 pids.max)'. */
  inForce: string[];
  /** Limits that could not be set here, in words. */
  missing: string[];
}

/**
 * Per-kernel cgroups when this machine lets us create them: the v2 unified tree (pids.max, memory.max,
 * memory.swap.max = 0) or the v1 `pids` and `memory` controllers. pids.max stops fork bombs and thread
 * floods (RLIMIT_NPROC does not apply to root); the memory limit covers every process of the sandbox and its
 * tmpfs folders together. What could not be set is reported, never silently dropped.
 *
 * @example
 * const cg = createCgroups('s1', { maxProcesses: 128, memoryMiB: 512 }); // cg.inForce: ['processes <= 128 (cgroup v1 pids.max)', ...]
 */
export function createCgroups(id: string, limits: SandboxLimits, root = CGROUP_ROOT): CgroupSetup {
  const made: string[] = [];
  const procs: string[] = [];
  const inForce: string[] = [];
  const missing: string[] = [];
  const maxProcs = limits.maxProcesses ?? 128;
  const mem = Math.round((limits.memoryMiB ?? 1536) * 1.25 * 2 ** 20);
  const memText = `${Math.round(mem / 2 ** 20)} MiB`;
  const tryMake = (dir: string, files: Record<string, string>, optional: string[] = []): boolean => {
    try {
      fs.mkdirSync(dir, { recursive: true });
      made.push(dir);
      for (const [f, v] of Object.entries(files)) {
        if (optional.includes(f) && !fs.existsSync(path.join(dir, f))) continue;
        fs.writeFileSync(path.join(dir, f), v);
      }
      procs.push(path.join(dir, 'cgroup.procs'));
      return true;
    } catch {
      return false;
    }
  };
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) {
    // v2: controllers must be enabled in every ancestor's subtree_control; the parent holds no process itself.
    const parent = path.join(root, 'optilab-grader');
    const enabled = enableV2Controllers(root, parent);
    if (enabled.has('pids') && enabled.has('memory') && tryMake(path.join(parent, id), { 'pids.max': String(maxProcs), 'memory.max': String(mem), 'memory.swap.max': '0' }, ['memory.swap.max'])) {
      inForce.push(`processes <= ${maxProcs} (cgroup v2 pids.max)`, `memory <= ${memText} for the whole sandbox, no swap (cgroup v2 memory.max)`);
    } else {
      missing.push(`processes and combined memory: cgroup v2 controllers pids and memory cannot be delegated under ${root} (enabled: ${[...enabled].join(' ') || 'none'})`);
    }
  } else if (fs.existsSync(path.join(root, 'pids', 'cgroup.procs'))) {
    if (tryMake(path.join(root, 'pids', 'optilab-grader', id), { 'pids.max': String(maxProcs) })) inForce.push(`processes <= ${maxProcs} (cgroup v1 pids.max)`);
    else missing.push(`processes: cannot create a cgroup under ${path.join(root, 'pids')}`);
    if (tryMake(path.join(root, 'memory', 'optilab-grader', id), { 'memory.limit_in_bytes': String(mem) })) inForce.push(`memory <= ${memText} for the whole sandbox (cgroup v1 memory.limit_in_bytes)`);
    else missing.push(`combined memory: cannot create a cgroup under ${path.join(root, 'memory')}`);
  } else {
    missing.push(`processes and combined memory: no cgroup hierarchy at ${root}`);
  }
  return {
    procs,
    inForce,
    missing,
    remove: () => {
      for (const d of made.reverse()) {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            fs.rmdirSync(d);
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
            const until = Date.now() + 50;
            while (Date.now() < until) {
              // processes are still exiting: wait a moment
            }
          }
        }
      }
    },
  };
}

/** Enables pids and memory for the children of `parent` (creating it under `root`); returns what `parent`'s children get. */
function enableV2Controllers(root: string, parent: string): Set<string> {
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch {
    return new Set();
  }
  for (const dir of [root, parent]) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+pids +memory');
    } catch {
      // already enabled, or not ours to change: what is in force is read back below
    }
  }
  try {
    return new Set(fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean).map((c) => c.replace(/^\+/, '')));
  } catch {
    return new Set();
  }
}

let lastReport: string | null = null;

/**
 * The limits the last sandboxed kernel of this process ran under, in one line for the grading summary,
 * or null when no sandboxed kernel started.
 *
 * @example
 * sandboxReport() // 'limits: memory 1536 MiB per process (rlimit data), processes <= 128 (cgroup v1 pids.max), ...'
 */
export function sandboxReport(): string | null {
  return lastReport;
}

function describeLimits(limits: SandboxLimits, cg: CgroupSetup, nproc: number | null): string {
  const parts = [
    `JavaScript heap ${kernelHeapMiB(limits)} MiB`,
    `address space for data ${dataLimitMiB(limits)} MiB per process (rlimit)`,
    ...cg.inForce,
    ...(nproc !== null ? [`processes <= ${nproc} for this user (rlimit nproc; no pids cgroup)`] : []),
    `scratch ${limits.scratchMiB ?? SCRATCH_DEFAULTS.scratchMiB} MiB, /tmp ${SCRATCH_DEFAULTS.tmpMiB} MiB (tmpfs)`,
    `files <= ${limits.fileSizeMiB ?? 64} MiB`,
    `CPU ${limits.cpuSeconds ?? 600} s`,
  ];
  const notSet = cg.missing.length ? `; NOT in force: ${cg.missing.join('; ')}${nproc === null && !cg.inForce.some((l) => l.startsWith('processes')) ? ' (and rlimit nproc does not bind root)' : ''}` : '';
  return `limits: ${parts.join(', ')}${notSet}`;
}

/**
 * RLIMIT_NPROC for a grader that is not root and has no pids cgroup: it counts every task of the user, so the
 * grader's own (and other kernels') threads are added to the allowance. null for root, whom the kernel does not
 * hold to it, and when a pids cgroup already limits the kernel.
 *
 * @example
 * nprocFallback({ maxProcesses: 64 }, { inForce: [], missing: [], procs: [], remove() {} }, 1000); // 64 + the tasks uid 1000 runs now
 */
export function nprocFallback(limits: SandboxLimits, cg: Pick<CgroupSetup, 'inForce'>, uid = process.getuid?.()): number | null {
  if (cg.inForce.some((l) => l.startsWith('processes')) || uid === 0) return null;
  let mine = 0;
  try {
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        // the limit counts tasks (threads), not processes
        if (fs.statSync(path.join('/proc', pid)).uid === uid) mine += Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync(path.join('/proc', pid, 'status'), 'utf8'))?.[1] ?? 1);
      } catch {
        // gone
      }
    }
  } catch {
    return null;
  }
  return mine + (limits.maxProcesses ?? 128);
}

function kernelEnv(scratch: string): NodeJS.ProcessEnv {
  // A clean environment: nothing of the grader's (no secrets, no paths to the course folders).
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: scratch, LANG: 'C.UTF-8', OPTILAB_GRADING: '1', OPTILAB_QUICK: process.env.OPTILAB_QUICK ?? '' };
}

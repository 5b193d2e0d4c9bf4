/**
 * The operating system's wall against new processes in a grading kernel: a seccomp filter (classic BPF, the
 * form bubblewrap's `--seccomp FD` loads just before it starts the kernel) that refuses every system call
 * creating a process (fork, vfork, clone without CLONE_THREAD) while threads stay allowed (Node's workers,
 * libuv's pool). It holds whatever the student's JavaScript manages inside the kernel: the loader walls in
 * harness.js keep `child_process` out of reach, and this filter makes a way around them useless. It is
 * inherited by everything the kernel becomes and cannot be removed (bubblewrap sets no_new_privs).
 *
 * What it does not stop: `execve` itself (bubblewrap needs it to start the kernel), so a kernel could replace
 * its own program, still without any new process and under the same filter.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** One classic BPF instruction (struct sock_filter). */
interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// BPF opcodes and seccomp constants (linux/filter.h, linux/seccomp.h, linux/audit.h, linux/sched.h)
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
const CLONE_THREAD = 0x00010000;
// offsets into struct seccomp_data: nr, arch, instruction_pointer, args[6] (little-endian low words)
const DATA_NR = 0;
const DATA_ARCH = 4;
const DATA_ARG0_LOW = 16;

/** System call numbers of the process-creating calls, per architecture this filter knows. */
interface ArchCalls {
  audit: number;
  clone: number;
  clone3: number;
  /** fork and vfork, where the architecture has them */
  forks: number[];
  /** syscall numbers at or above this belong to another ABI (x32 on x86_64) and are refused */
  abiBit?: number;
}

const ARCHES: Record<string, ArchCalls> = {
  x64: { audit: 0xc000003e, clone: 56, clone3: 435, forks: [57, 58], abiBit: 0x40000000 },
  arm64: { audit: 0xc00000b7, clone: 220, clone3: 435, forks: [] },
};

/** True when this machine's architecture has a filter (x86_64, arm64). */
export function processFilterSupported(arch: string = os.arch()): boolean {
  return arch in ARCHES;
}

/**
 * The filter program refusing process creation, as the bytes bubblewrap reads (8 bytes per instruction).
 * clone3 answers ENOSYS (its flags are behind a pointer the filter cannot read), so the C library falls back to
 * clone, whose flags it can; a call of another architecture's ABI is refused outright.
 *
 * @example
 * fs.writeFileSync('/tmp/no-fork.bpf', processCreationFilter()); // then: bwrap --seccomp 4 ... 4</tmp/no-fork.bpf
 */
export function processCreationFilter(arch: string = os.arch()): Buffer {
  const calls = ARCHES[arch];
  if (!calls) throw new Error(`no process filter for architecture ${arch}: the sandbox relies on its other walls there`);
  // Each instruction is written with symbolic targets, resolved to relative jumps below.
  type Step = { code: number; k: number; jt?: string; jf?: string; label?: string };
  const steps: Step[] = [
    { code: LD_W_ABS, k: DATA_ARCH },
    { code: JEQ_K, k: calls.audit, jt: 'next', jf: 'deny' },
    { code: LD_W_ABS, k: DATA_NR },
    ...(calls.abiBit ? [{ code: JGE_K, k: calls.abiBit, jt: 'deny', jf: 'next' }] : []),
    ...calls.forks.map((nr) => ({ code: JEQ_K, k: nr, jt: 'deny', jf: 'next' })),
    { code: JEQ_K, k: calls.clone3, jt: 'nosys', jf: 'next' },
    { code: JEQ_K, k: calls.clone, jt: 'next', jf: 'allow' },
    { code: LD_W_ABS, k: DATA_ARG0_LOW },
    { code: JSET_K, k: CLONE_THREAD, jt: 'allow', jf: 'deny' },
    { code: RET_K, k: SECCOMP_RET_ALLOW, label: 'allow' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | EPERM, label: 'deny' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | ENOSYS, label: 'nosys' },
  ];
  const at = (label: string, from: number): number => {
    if (label === 'next') return 0;
    const to = steps.findIndex((s) => s.label === label);
    return to - from - 1;
  };
  const program: Instruction[] = steps.map((s, i) => ({ code: s.code, jt: s.jt ? at(s.jt, i) : 0, jf: s.jf ? at(s.jf, i) : 0, k: s.k >>> 0 }));
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return out;
}

/**
 * Opens the filter for a kernel's launch: a file descriptor to hand to bubblewrap (`--seccomp <fd in child>`),
 * or null where the architecture has no filter. The caller closes it once the kernel has started.
 *
 * @example
 * const fd = openProcessFilter('/tmp/g/k1'); // spawn(..., { stdio: [..., fd] })
 */
export function openProcessFilter(dir: string): number | null {
  if (!processFilterSupported()) return null;
  const file = path.join(dir, 'no-new-processes.bpf');
  fs.writeFileSync(file, processCreationFilter(), { mode: 0o400 });
  const fd = fs.openSync(file, 'r');
  fs.rmSync(file, { force: true });
  return fd;
}

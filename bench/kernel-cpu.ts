/**
 * `npm run bench -- kernel-cpu [--n 6] [--lab quantization-lab]`: where a graded submission's CPU goes, for a
 * kernel started the ordinary way and one started from the kernel image (src/grader/kernel/kernel-image.ts). Runs the
 * lab's solution in N sandboxed kernels of each kind, alternating, one at a time, and reads the whole machine's
 * busy time (/proc/stat) around each phase: kernel start with the harness, the first cell (the typed import of
 * optilab), the other cells. Whole-machine time includes every thread and child process; run it on a quiet
 * machine.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelContext } from '../src/grader/engine/context';
import { prepareAssignment } from '../src/grader/engine/engine';
import { kernelImage } from '../src/grader/kernel/kernel-image';
import { solutionPlan } from '../src/grader/assignment/plan';
import { startGradingKernel } from '../src/grader/trusted/runner';
import { kernelV8Flags } from '../src/grader/kernel/sandbox';
import { benchFlag, type BenchReport } from './harness';

const ROOT = path.resolve(__dirname, '..');
const TICKS_PER_SECOND = 100;

/** Busy core-seconds of the whole machine since boot (user + nice + system + irq + softirq). */
function machineCpuSeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6]) / TICKS_PER_SECOND;
}

export async function run(args: string[]): Promise<BenchReport> {
  const n = Number(benchFlag(args, 'n', '6'));
  const lab = benchFlag(args, 'lab', 'quantization-lab');
  const sourceFile = path.join(ROOT, 'notebooks', 'labs', `${lab}.ipynb`);
  const plan = solutionPlan(prepareAssignment(fs.readFileSync(sourceFile, 'utf8'), `${lab}.ipynb`).cells);
  const { opts, cleanup } = kernelContext(ROOT);
  const buildStart = performance.now();
  await kernelImage({ repo: ROOT, v8Flags: kernelV8Flags() });
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const modes = [
    { name: 'ordinary kernel', image: false },
    { name: 'kernel from the image', image: true },
  ];
  const sums = modes.map(() => ({ start: 0, first: 0, rest: 0, wall: 0 }));
  try {
    for (let k = 0; k < n; k++) {
      for (const [m, mode] of modes.entries()) {
        const t0 = performance.now();
        let c = machineCpuSeconds();
        const lap = () => {
          const now = machineCpuSeconds();
          const d = now - c;
          c = now;
          return d;
        };
        const gk = await startGradingKernel({ ...opts, image: mode.image });
        sums[m].start += lap();
        try {
          // tests cells run in the trusted runner outside the kernel (runner.ts): only the notebook's own cells load the kernel
          for (const [i, cell] of plan.filter((c) => c.kind !== 'tests').entries()) {
            const r = await gk.kernel.execute(cell.source, { timeoutMs: 60_000 });
            if (r.status !== 'ok') throw new Error(`${mode.name}: cell ${cell.gradeId} ended with ${r.status}: ${r.stderr.slice(0, 300)}`);
            sums[m][i === 0 ? 'first' : 'rest'] += lap();
          }
        } finally {
          gk.dispose();
        }
        sums[m].wall += (performance.now() - t0) / 1000;
      }
    }
  } finally {
    cleanup();
  }
  const rows = modes.map((mode, m) => {
    const s = sums[m];
    return {
      kernel: mode.name,
      kernels: n,
      startCpu: s.start / n,
      firstCellCpu: s.first / n,
      otherCellsCpu: s.rest / n,
      totalCpu: (s.start + s.first + s.rest) / n,
      wallSeconds: s.wall / n,
    };
  });
  const ratio = rows[0].totalCpu / rows[1].totalCpu;
  return {
    rows: rows.map((r) => ({ ...r, cpuVsOrdinary: r.totalCpu / rows[0].totalCpu })),
    columns: [
      ['kernel', (r) => r.kernel as string],
      ['kernels', (r) => r.kernels as number],
      ['start + harness (core-s)', (r) => r.startCpu as number],
      ['first cell: import optilab (core-s)', (r) => r.firstCellCpu as number],
      ['other cells (core-s)', (r) => r.otherCellsCpu as number],
      ['total (core-s)', (r) => r.totalCpu as number],
      ['wall s', (r) => r.wallSeconds as number],
      ['CPU vs ordinary', (r) => r.cpuVsOrdinary as number],
    ],
    notes: [
      `lab ${lab} (solution, ${plan.length} code cells), sandboxed kernels one at a time, the two kinds alternating; ${os.cpus().length} cores, load average at the end ${os.loadavg()[0].toFixed(1)}`,
      `CPU is the whole machine's busy time around each phase: run on a quiet machine`,
      `an ordinary kernel takes ${ratio.toFixed(2)}x the CPU of one from the kernel image; the image was ready in ${buildSeconds.toFixed(1)} s (0 when already built)`,
    ],
    extra: { lab, buildSeconds },
  };
}

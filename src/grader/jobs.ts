/**
 * How many submissions a machine grades at once by default. A grading kernel spends much of its time waiting
 * (process start-up, kernel messages), not computing: nbconvert running the quantization lab used 4.5 core-seconds
 * per notebook over 8.8-13.8 s of wall time here. So two submissions per core keep the cores busy, as long as
 * every kernel's memory limit fits in the free memory.
 */
import * as os from 'os';

/** The memory limit of one sandboxed kernel unless `--memory` says otherwise (MiB). */
export const DEFAULT_KERNEL_MEMORY_MIB = 1536;

/**
 * Default parallel submissions: 2 per core, at most as many kernels as fit in free memory, at least 1.
 *
 * @example
 * defaultGradingJobs(); // 4 on a 2-core machine with 24 GiB
 * defaultGradingJobs(1536, { cores: 8, freeMiB: 4096 }); // 2: memory is the limit
 */
export function defaultGradingJobs(memoryMiB = DEFAULT_KERNEL_MEMORY_MIB, machine = { cores: os.cpus().length, freeMiB: os.freemem() / 2 ** 20 }): number {
  const byCores = 2 * machine.cores;
  const byMemory = Math.floor(machine.freeMiB / memoryMiB);
  return Math.max(1, Math.min(byCores, byMemory));
}

/**
 * How many submissions a machine grades at once by default: one per core, as far as every kernel's memory
 * limit fits in the free memory. The warm pool already starts the next kernel while a submission runs, so one
 * job per core keeps the cores busy; more only adds contention (measured on 2 idle cores, 16 submissions of the
 * quantization lab, A B B A: 2 jobs 2.10-2.14 s per submission, 4 jobs 2.31-2.34 s).
 */
import * as os from 'os';

/** The memory limit of one sandboxed kernel unless `--memory` says otherwise (MiB). */
export const DEFAULT_KERNEL_MEMORY_MIB = 1536;

/**
 * Default parallel submissions: one per core, at most as many kernels as fit in free memory, at least 1.
 *
 * @example
 * defaultGradingJobs(); // 2 on a 2-core machine with 24 GiB
 * defaultGradingJobs(1536, { cores: 8, freeMiB: 4096 }); // 2: memory is the limit
 */
export function defaultGradingJobs(memoryMiB = DEFAULT_KERNEL_MEMORY_MIB, machine = { cores: os.cpus().length, freeMiB: os.freemem() / 2 ** 20 }): number {
  const byMemory = Math.floor(machine.freeMiB / memoryMiB);
  return Math.max(1, Math.min(machine.cores, byMemory));
}

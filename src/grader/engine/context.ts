/** Shared set-up of grading runs: checks the machine, makes the kernels' short-lived work folder. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelOptions } from '../trusted/runner';
import { sandboxAvailable, SandboxLimits } from '../kernel/sandbox';

/**
 * Kernel options for this checkout: `repo` is the optilab checkout (its node_modules and tslab), the work
 * folder is a fresh short path under the system temp folder (unix socket paths must stay short).
 * Throws with the fix when bubblewrap or tslab is missing.
 *
 * @example
 * const { opts, cleanup } = kernelContext(repoRoot(), { memoryMiB: 1024 });
 */
export function kernelContext(repo: string, limits?: SandboxLimits): { opts: KernelOptions; cleanup: () => void } {
  if (!fs.existsSync(path.join(repo, 'node_modules', 'tslab', 'bin', 'tslab'))) {
    throw new Error(`tslab is not installed in ${repo}: run \`bash scripts/setup.sh\` first`);
  }
  if (!sandboxAvailable()) {
    throw new Error('bubblewrap (bwrap) cannot create a sandbox here: install the Debian package bubblewrap (bash scripts/setup.sh does)');
  }
  sweepStaleCgroups();
  sweepStaleWorkDirs();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-'));
  return { opts: { repo, workDir, limits }, cleanup: () => fs.rmSync(workDir, { recursive: true, force: true }) };
}

/** Removes empty per-kernel cgroups left by a grader that was killed (rmdir fails on cgroups still in use). */
function sweepStaleCgroups(): void {
  for (const ctl of ['pids', 'memory']) {
    const dir = path.join('/sys/fs/cgroup', ctl, 'optilab-grader');
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const e of entries) {
      try {
        const procs = fs.readFileSync(path.join(dir, e, 'cgroup.procs'), 'utf8').trim();
        const age = Date.now() - fs.statSync(path.join(dir, e)).mtimeMs;
        if (!procs && age > 60_000) fs.rmdirSync(path.join(dir, e));
      } catch {
        // in use or already gone
      }
    }
  }
}

/** Removes work folders of graders that were killed (untouched for more than an hour). */
function sweepStaleWorkDirs(): void {
  try {
    for (const e of fs.readdirSync(os.tmpdir())) {
      if (!/^og-[A-Za-z0-9]{6}$/.test(e)) continue;
      const dir = path.join(os.tmpdir(), e);
      if (Date.now() - fs.statSync(dir).mtimeMs > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // best effort
  }
}

/**
 * Processes of a hub's student servers, found by the OPTILAB_HUB_ID marker in their environment (kernels
 * inherit it from their server), so none can outlive the hub unnoticed. Linux /proc only.
 */
import * as fs from 'fs';

/** A process found by its environment. */
export interface MarkedProcess {
  pid: number;
  /** Its command line, for messages. */
  args: string;
  /** JUPYTERHUB_USER of its environment, if any. */
  user: string | null;
}

function environOf(pid: number): string[] | null {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return null; // gone, or not ours to read
  }
}

/**
 * Processes whose environment has `name=value`.
 *
 * @example
 * processesWithEnv('OPTILAB_HUB_ID', 'a1b2c3').map((p) => p.pid);
 */
export function processesWithEnv(name: string, value: string): MarkedProcess[] {
  const want = `${name}=${value}`;
  const out: MarkedProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const env = environOf(pid);
    if (!env?.includes(want)) continue;
    let args = '';
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
    } catch {
      continue;
    }
    if (!args) continue; // a zombie, already exited
    const user = env.find((e) => e.startsWith('JUPYTERHUB_USER='))?.slice('JUPYTERHUB_USER='.length) ?? null;
    out.push({ pid, args, user });
  }
  return out;
}

/**
 * Ends processes: SIGTERM, then SIGKILL for those still there after `graceMs`. Resolves with those it found.
 *
 * @example
 * const strays = await endProcesses(() => processesWithEnv('OPTILAB_HUB_ID', id));
 */
export async function endProcesses(find: () => MarkedProcess[], graceMs = 5000): Promise<MarkedProcess[]> {
  const found = find();
  if (!found.length) return found;
  const signal = (sig: NodeJS.Signals) => {
    for (const p of find()) {
      try {
        process.kill(p.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const t0 = Date.now();
  while (find().length && Date.now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 100));
  signal('SIGKILL');
  return found;
}

/**
 * The line under a figure or table of bench results saying where its numbers come from and how they were made:
 * the result file, quick or full run, date, and the commit (with uncommitted changes, if any) recorded in the
 * JSON's `provenance` by bench/harness.ts. Result files written before provenance existed say so.
 */

/** The fields of a bench/results/<name>.json that the source line reads. */
export interface BenchSourceFields {
  createdAt?: string;
  quick?: boolean;
  provenance?: { git?: { head?: string | null; dirty?: boolean | null; changed?: string[] } };
}

/**
 * "Source: bench/results/<name>.json (full run, 2026-12-06, commit 1a2b3c4d5e6f)." for a figure caption.
 *
 * @example
 * benchSource({ createdAt: '2026-12-01T20:53:25Z', quick: false }, 'training')
 * // 'Source: bench/results/training.json (full run, 2026-12-01, commit not recorded).'
 */
export function benchSource(result: BenchSourceFields, name: string): string {
  const run = result.quick ? 'quick run on a subset' : 'full run';
  const date = result.createdAt ? result.createdAt.slice(0, 10) : 'date not recorded';
  const git = result.provenance?.git;
  let commit = 'commit not recorded';
  if (git && git.head) {
    commit = `commit ${git.head.slice(0, 12)}`;
    if (git.dirty) {
      const n = git.changed?.length ?? 0;
      commit += n ? ` plus uncommitted changes in ${n} path${n === 1 ? '' : 's'}` : ' plus uncommitted changes';
    } else if (git.dirty === null || git.dirty === undefined) commit += ' (tree state unknown)';
  } else if (git && git.head === null) commit = 'not run from a git checkout';
  return `Source: bench/results/${name}.json (${run}, ${date}, ${commit}).`;
}

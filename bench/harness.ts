/**
 * The benchmark harness: `npm run bench -- <name> [args]` runs bench/<name>.ts, whose `run(args)` returns a
 * report; the harness stamps it with the machine and its provenance (bench/provenance.ts: command, commit, dirty
 * tree, OPTILAB_* environment, load, kernels), writes bench/results/<name>.json and prints its table under a line
 * saying how it was made.
 * Timings are measurements to read side by side (ratios within one run), never test assertions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectProvenance, Provenance, provenanceLine } from './provenance';

export type Cell = string | number | boolean | null | undefined;

export interface BenchReport {
  /** One object per measured configuration; these become the JSON rows and the printed table. */
  rows: Record<string, unknown>[];
  /** Columns to print, as [header, row => cell]; default: every scalar field of the first row. */
  columns?: [string, (row: Record<string, unknown>) => Cell][];
  notes?: string[];
  /** Anything else worth keeping in the JSON. */
  extra?: Record<string, unknown>;
}

export interface BenchModule {
  run(args: string[]): Promise<BenchReport>;
}

export const RESULTS_DIR = path.join(__dirname, 'results');

/**
 * The value after `--name` in a benchmark's arguments, else `dflt`.
 *
 * @example
 * benchFlag(['--n', '20'], 'n', '100') // '20'
 */
export function benchFlag(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

function formatCell(v: Cell): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  return String(v);
}

/**
 * A readable fixed-width table, under one line saying how it was made (commit, dirty tree, date, load, kernels).
 *
 * @example
 * console.log(formatTable({ rows: [{ model: 'lenet5', imgPerSec: 1200 }] }));
 */
export function formatTable(report: BenchReport, provenance: Provenance = collectProvenance()): string {
  const first = report.rows[0] ?? {};
  const columns =
    report.columns ??
    Object.keys(first)
      .filter((k) => ['string', 'number', 'boolean'].includes(typeof first[k]) || first[k] === null)
      .map((k) => [k, (r: Record<string, unknown>) => r[k] as Cell] as [string, (r: Record<string, unknown>) => Cell]);
  const table = [columns.map(([h]) => h), ...report.rows.map((r) => columns.map(([, get]) => formatCell(get(r))))];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [provenanceLine(provenance), ...lines, ...(report.notes ?? []).map((n) => `note: ${n}`)].join('\n');
}

/**
 * Writes bench/results/<name>.json (atomically; `dir` for tests) with the run's provenance and returns its path.
 *
 * @example
 * writeReport('training', report, 533, collectProvenance({ loadBefore }));
 */
export function writeReport(name: string, report: BenchReport, seconds: number, provenance: Provenance = collectProvenance(), dir: string = RESULTS_DIR): string {
  fs.mkdirSync(dir, { recursive: true });
  const json = {
    name,
    createdAt: new Date().toISOString(),
    seconds,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    quick: process.env.OPTILAB_QUICK === '1',
    provenance,
    rows: report.rows,
    notes: report.notes ?? [],
    ...(report.extra ?? {}),
  };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(json, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

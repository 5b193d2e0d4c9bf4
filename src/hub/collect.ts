/**
 * Collecting an assignment from the exchange for grading: each student's latest submission becomes
 * <out>/<student>.ipynb (the layout `optilab grade <out>` reads), with <out>/submissions.csv and
 * <out>/submissions.json saying when each was handed in and whether it was late against a deadline.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeAtomic } from '../grader/output/write-atomic';
import { submissionsOf, workspaces } from './exchange';
import type { HubLayout } from './layout';

/** One student's line of the collection. */
export interface CollectedRow {
  student: string;
  /** 'submitted', or 'missing' for a student who logged in but never submitted. */
  status: 'submitted' | 'missing';
  /** ISO 8601 UTC time of the collected (latest) submission. */
  submittedAt: string | null;
  /** Later than the deadline (false without a deadline). */
  late: boolean;
  /** Minutes after the deadline (0 when on time or without a deadline). */
  minutesLate: number;
  /** How many times the student submitted. */
  submissions: number;
  sha256: string | null;
  /** The collected notebook, relative to the output folder. */
  file: string | null;
}

/** What `collectAssignment` wrote. */
export interface CollectReport {
  assignment: string;
  out: string;
  due: string | null;
  rows: CollectedRow[];
}

/**
 * Parses a deadline: ISO 8601 with a time zone (`2025-03-01T23:59:00Z`, `2025-03-01T23:59+01:00`).
 * Throws a readable error otherwise (a deadline without a zone would silently depend on the machine).
 *
 * @example
 * parseDeadline('2025-03-01T23:59Z').toISOString(); // '2025-03-01T23:59:00.000Z'
 */
export function parseDeadline(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    throw new Error(`the deadline '${text}' is not an ISO 8601 time with a time zone: write e.g. 2025-03-01T23:59:00Z or 2025-03-01T23:59+01:00`);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`the deadline '${text}' is not a valid date`);
  return d;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Copies every student's latest submission of `assignment` to `<out>/<student>.ipynb` (replacing what an
 * earlier collection put there) and writes submissions.csv / submissions.json. Students who logged in but
 * never submitted are listed as missing.
 *
 * @example
 * const r = collectAssignment(hubLayout('.cache/hub'), 'quantization-lab', 'collected/', { due: '2025-03-01T23:59Z' });
 * r.rows.filter((x) => x.late).map((x) => x.student);
 */
export function collectAssignment(layout: HubLayout, assignment: string, out: string, opts: { due?: string } = {}): CollectReport {
  const due = opts.due ? parseDeadline(opts.due) : null;
  const outDir = path.resolve(out);
  const all = submissionsOf(layout, assignment);
  const known = new Set(all.map((s) => s.student));
  const released = fs.existsSync(path.join(layout.released, `${assignment}.ipynb`));
  if (!released && !all.length) {
    throw new Error(`no assignment '${assignment}' in ${layout.exchange}: release it first (optilab hub release <source.ipynb>)`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const rows: CollectedRow[] = [];
  for (const s of all) {
    const latest = s.submissions.at(-1);
    if (!latest) {
      rows.push({ student: s.student, status: 'missing', submittedAt: null, late: false, minutesLate: 0, submissions: 0, sha256: null, file: null });
      continue;
    }
    const file = `${s.student}.ipynb`;
    writeAtomic(path.join(outDir, file), fs.readFileSync(path.join(s.folder, latest.file)));
    const late = due !== null && Date.parse(latest.submittedAt) > due.getTime();
    const minutesLate = late ? Math.ceil((Date.parse(latest.submittedAt) - due!.getTime()) / 60000) : 0;
    rows.push({ student: s.student, status: 'submitted', submittedAt: latest.submittedAt, late, minutesLate, submissions: s.submissions.length, sha256: latest.sha256 ?? null, file });
  }
  for (const w of workspaces(layout)) {
    if (known.has(w.name)) continue;
    rows.push({ student: w.name, status: 'missing', submittedAt: null, late: false, minutesLate: 0, submissions: 0, sha256: null, file: null });
  }
  rows.sort((a, b) => a.student.localeCompare(b.student));
  const header = ['student', 'status', 'submitted_at', 'late', 'minutes_late', 'submissions', 'sha256', 'file'];
  const lines = rows.map((r) => [r.student, r.status, r.submittedAt, r.late, r.minutesLate, r.submissions, r.sha256, r.file].map(csvCell).join(','));
  writeAtomic(path.join(outDir, 'submissions.csv'), [header.join(','), ...lines].join('\n') + '\n');
  const report: CollectReport = { assignment, out: outDir, due: due?.toISOString() ?? null, rows };
  writeAtomic(path.join(outDir, 'submissions.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}

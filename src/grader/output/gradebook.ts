/**
 * The gradebook: an embedded SQLite database (sql.js, SQLite compiled to WebAssembly: no native build)
 * stored in one file that is replaced atomically on every save, so a crash at any moment leaves either the
 * previous or the new gradebook, never a broken one. Rows are keyed by student, so saving a result twice
 * (a resumed run) replaces it instead of counting it twice.
 */
import * as fs from 'fs';
import initSqlJs, { Database } from 'sql.js';
import { writeAtomic } from './write-atomic';
import { roundScore, SubmissionResult } from './result';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS submissions (
  student TEXT PRIMARY KEY, assignment TEXT NOT NULL, assignment_sha TEXT NOT NULL, submission_sha TEXT NOT NULL,
  status TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, graded_at TEXT NOT NULL, seconds REAL NOT NULL,
  restarts INTEGER NOT NULL, notes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tests (
  student TEXT NOT NULL, grade_id TEXT NOT NULL, points REAL NOT NULL, earned REAL NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (student, grade_id));
CREATE TABLE IF NOT EXISTS checks (
  student TEXT NOT NULL, grade_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, points REAL NOT NULL,
  earned REAL NOT NULL, message TEXT NOT NULL, PRIMARY KEY (student, grade_id, idx));
`;

/** One gradebook row. */
export interface GradeRow {
  student: string;
  assignment: string;
  status: string;
  score: number;
  maxScore: number;
  gradedAt: string;
}

/**
 * An open gradebook file.
 *
 * @example
 * const gb = await Gradebook.open('out/gradebook.sqlite');
 * gb.upsert(result); gb.save();
 * fs.writeFileSync('grades.csv', gb.toCsv());
 */
export class Gradebook {
  private constructor(
    private readonly db: Database,
    readonly file: string,
  ) {}

  /** Opens `file` (creating it when missing). A file that is not a readable gradebook is an error. */
  static async open(file: string): Promise<Gradebook> {
    const SQL = await initSqlJs();
    let db: Database;
    if (fs.existsSync(file)) {
      db = new SQL.Database(fs.readFileSync(file));
      try {
        db.exec('SELECT count(*) FROM sqlite_master');
      } catch (e) {
        db.close();
        throw new Error(`${file} is not a readable gradebook (${(e as Error).message}): move it away and grade again (results/*.json rebuild it)`);
      }
    } else db = new SQL.Database();
    db.exec(SCHEMA);
    return new Gradebook(db, file);
  }

  /** Inserts or replaces everything about one student, in one transaction. */
  upsert(r: SubmissionResult): void {
    this.db.exec('BEGIN');
    try {
      this.db.run('DELETE FROM tests WHERE student = ?', [r.student]);
      this.db.run('DELETE FROM checks WHERE student = ?', [r.student]);
      this.db.run('INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        r.student, r.assignment, r.assignmentSha, r.submissionSha, r.status, roundScore(r.score), r.maxScore, r.gradedAt, r.seconds, r.restarts, JSON.stringify(r.notes),
      ]);
      for (const t of r.tests) {
        this.db.run('INSERT INTO tests VALUES (?, ?, ?, ?, ?)', [r.student, t.gradeId, t.points, roundScore(t.earned), t.message]);
        t.checks.forEach((c, i) => this.db.run('INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?)', [r.student, t.gradeId, i, c.name, c.points, roundScore(c.earned), c.message]));
      }
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Removes every row (the gradebook is then rebuilt from the results, the record of truth). */
  clear(): void {
    this.db.exec('DELETE FROM checks; DELETE FROM tests; DELETE FROM submissions;');
  }

  /** Writes the database file atomically. */
  save(): void {
    writeAtomic(this.file, this.db.export());
  }

  /** Every student's row, by student name. */
  rows(): GradeRow[] {
    const res = this.db.exec('SELECT student, assignment, status, score, max_score, graded_at FROM submissions ORDER BY student');
    if (!res.length) return [];
    return res[0].values.map((v) => ({ student: String(v[0]), assignment: String(v[1]), status: String(v[2]), score: Number(v[3]), maxScore: Number(v[4]), gradedAt: String(v[5]) }));
  }

  /** Points per tests cell of one student. */
  tests(student: string): { gradeId: string; points: number; earned: number }[] {
    const res = this.db.exec('SELECT grade_id, points, earned FROM tests WHERE student = ? ORDER BY grade_id', [student]);
    return res.length ? res[0].values.map((v) => ({ gradeId: String(v[0]), points: Number(v[1]), earned: Number(v[2]) })) : [];
  }

  /** SQLite's own integrity check ('ok' when intact). */
  integrity(): string {
    return String(this.db.exec('PRAGMA integrity_check')[0].values[0][0]);
  }

  /**
   * CSV for an LMS: one row per student with the total and one column per tests cell.
   */
  toCsv(): string {
    const ids = this.db.exec('SELECT DISTINCT grade_id FROM tests ORDER BY grade_id');
    const gradeIds = ids.length ? ids[0].values.map((v) => String(v[0])) : [];
    const lines = [['student', 'assignment', 'status', 'score', 'max_score', ...gradeIds, 'graded_at'].map(csvCell).join(',')];
    for (const r of this.rows()) {
      const per = new Map(this.tests(r.student).map((t) => [t.gradeId, t.earned]));
      lines.push([r.student, r.assignment, r.status, r.score, r.maxScore, ...gradeIds.map((g) => per.get(g) ?? ''), r.gradedAt].map(csvCell).join(','));
    }
    return lines.join('\n') + '\n';
  }

  close(): void {
    this.db.close();
  }
}

function csvCell(v: unknown): string {
  const s = String(v);
  // quote when needed; neutralize spreadsheet formulas in names
  const safe = /^[=+\-@]/.test(s) && Number.isNaN(Number(s)) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

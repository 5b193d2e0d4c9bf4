/**
 * The output folder of a grading run: results/<student>.json (the record of truth), feedback/<student>.html,
 * gradescope/<student>/results.json, gradebook.sqlite and grades.csv, with results that cannot be trusted to
 * belong to their student moved aside to stale/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeAtomic } from './write-atomic';
import { gradescopeResults, renderFeedback } from './feedback';
import { Gradebook } from './gradebook';
import { GradingSettings, gradingSettingsHash, ID_SCHEME, SubmissionResult } from './result';
import { DEFAULT_LIMITS } from '../trusted/runner';

/** Where one student's files go. */
export function outputPaths(out: string, student: string) {
  return {
    result: path.join(out, 'results', `${student}.json`),
    feedback: path.join(out, 'feedback', `${student}.html`),
    gradescope: path.join(out, 'gradescope', student, 'results.json'),
  };
}

/** Moves one student's result, feedback and Gradescope file to `<out>/stale/` (kept for the instructor); returns the id. */
function moveStale(out: string, id: string): string {
  const from = outputPaths(out, id);
  const to = outputPaths(path.join(out, 'stale'), id);
  for (const k of ['feedback', 'gradescope', 'result'] as const) {
    if (!fs.existsSync(from[k])) continue;
    fs.mkdirSync(path.dirname(to[k]), { recursive: true });
    fs.renameSync(from[k], to[k]);
  }
  return id;
}

function readResult(file: string): SubmissionResult | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as SubmissionResult;
    return typeof r.student === 'string' && typeof r.score === 'number' ? r : null;
  } catch {
    return null;
  }
}

/**
 * The output folder of a grading run. `commit(result)` is the one place results are written, keyed by student,
 * the sha256 of the source and the submission, and the hash of the grading settings (limits) of this run: a
 * result already committed under the same key is not written (or counted) again, so engines that deliver at
 * least once (a queue) still count each submission once; a result graded under other limits is not current.
 *
 * @example
 * const out = await GradeOutput.open('graded/', console.log, { limits, sandboxLimits }); out.commit(result); out.finish(); out.close();
 */
export class GradeOutput {
  private constructor(
    readonly dir: string,
    private readonly gradebook: Gradebook,
    /** {@link gradingSettingsHash} of this run's settings: stamped on every result committed, required of current ones. */
    readonly settingsHash: string,
  ) {}

  /**
   * Opens (creating) `dir` and rebuilds its gradebook from the results already written (the record of truth), so
   * a row without a result, or a run stopped between a result and the gradebook save, cannot survive. Results that
   * cannot be trusted to belong to the student they name (written by a grader before the injective ids of
   * {@link ID_SCHEME}, or stored under another student's file name) are moved with their feedback to `stale/`,
   * named in `onNotice`, and that student is graded again. Results graded under other `settings` (or by a grader
   * that did not record them) stay readable and in the gradebook until they are graded again; `onNotice` counts them.
   * `settings` default to those of `gradeSubmissions` without options (DEFAULT_LIMITS, default sandbox limits).
   */
  static async open(dir: string, onNotice?: (message: string) => void, settings: GradingSettings = { limits: DEFAULT_LIMITS }): Promise<GradeOutput> {
    const settingsHash = gradingSettingsHash(settings);
    const out = path.resolve(dir);
    fs.mkdirSync(out, { recursive: true });
    const gradebook = await Gradebook.open(path.join(out, 'gradebook.sqlite'));
    gradebook.clear();
    const resultsDir = path.join(out, 'results');
    const stale: string[] = [];
    let otherSettings = 0;
    if (fs.existsSync(resultsDir)) {
      for (const f of fs.readdirSync(resultsDir).filter((x) => x.endsWith('.json')).sort()) {
        const r = readResult(path.join(resultsDir, f));
        if (!r) continue;
        const id = f.slice(0, -'.json'.length);
        if (r.idScheme === ID_SCHEME && r.student === id) {
          gradebook.upsert(r);
          if (r.settingsHash !== settingsHash) otherSettings++;
        } else stale.push(moveStale(out, id));
      }
    }
    gradebook.save();
    if (stale.length) {
      onNotice?.(`${stale.length} result(s) in ${out} were keyed by an older grader's student ids and may belong to another student: moved to ${path.join(out, 'stale')} (${stale.join(', ')}); these students are graded again`);
    }
    if (otherSettings) {
      onNotice?.(`${otherSettings} result(s) in ${out} were graded under other limits (timeouts, memory, processes) than this run's, or by a grader that did not record them: these submissions are graded again`);
    }
    return new GradeOutput(out, gradebook, settingsHash);
  }

  /** The committed result of `student` for exactly this source, submission and grading settings, or null. */
  current(student: string, assignmentSha: string, submissionSha: string): SubmissionResult | null {
    const prev = readResult(outputPaths(this.dir, student).result);
    const same = prev && prev.idScheme === ID_SCHEME && prev.assignmentSha === assignmentSha && prev.submissionSha === submissionSha && prev.settingsHash === this.settingsHash;
    return same ? prev : null;
  }

  /**
   * Writes feedback, Gradescope file, the result record (the commit point) and the gradebook row, the result
   * stamped with this run's settings hash. False when already committed.
   */
  commit(result: SubmissionResult): boolean {
    if (this.current(result.student, result.assignmentSha, result.submissionSha)) return false;
    const r: SubmissionResult = { ...result, settingsHash: this.settingsHash };
    const p = outputPaths(this.dir, r.student);
    writeAtomic(p.feedback, renderFeedback(r));
    writeAtomic(p.gradescope, JSON.stringify(gradescopeResults(r), null, 1) + '\n');
    writeAtomic(p.result, JSON.stringify(r, null, 1) + '\n'); // the commit point of this submission
    this.gradebook.upsert(r);
    this.gradebook.save();
    return true;
  }

  /** Writes grades.csv from the gradebook. */
  finish(): void {
    writeAtomic(path.join(this.dir, 'grades.csv'), this.gradebook.toCsv());
  }

  close(): void {
    this.gradebook.close();
  }
}

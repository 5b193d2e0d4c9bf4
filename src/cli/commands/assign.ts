import * as fs from 'fs';
import * as path from 'path';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { repoRoot } from '../../lab/checkout';
import { NotebookFormatError, parseNotebook, release } from '../../grader/assignment/format';
import { kernelContext } from '../../grader/engine/context';
import { writeAtomic } from '../../grader/output/write-atomic';
import { DEFAULT_LIMITS, KernelPool } from '../../grader/trusted/runner';
import { validateAssignment } from '../../grader/engine/validate';

const usage = `usage: optilab assign validate <source.ipynb> [--cell-timeout <s>]
       optilab assign release <source.ipynb> --out <dir>

validate  checks an assignment source: cell metadata (unique grade_ids, points on tests cells, balanced
          // BEGIN SOLUTION / // END SOLUTION and // BEGIN HIDDEN TESTS / // END HIDDEN TESTS markers), then runs
          the solution (must earn every point) and the student version (must fail every tests cell), each in
          a sandboxed tslab kernel. Exit code 0 when the assignment is ready to release.
release   writes the student version to <dir>/<name>.ipynb: solutions replaced by a stub, hidden tests
          removed, outputs cleared, locked and tests cells marked read-only and checksummed.`;

const SOURCE_ARGS = { validate: 'validate <source.ipynb>', release: 'release <source.ipynb> --out <dir>' } as const;

/** The absolute path of the one source notebook a subcommand was given (UsageError when none, several or a folder). */
function sourcePath(sub: keyof typeof SOURCE_ARGS, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`${sub} needs the source notebook: optilab assign ${SOURCE_ARGS[sub]}`);
  if (positionals.length > 1) throw new UsageError(`${sub} takes one source notebook, got ${positionals.length} (${positionals.join(', ')})`);
  const file = path.resolve(positionals[0]);
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${file} is a folder, not a notebook: pass the source .ipynb file`);
  return file;
}

function readSource(file: string) {
  return parseNotebook(fs.readFileSync(file, 'utf8'), path.basename(file));
}

export const command: Command = {
  name: 'assign',
  summary: 'check and release graded labs (optilab assign validate|release <source>)',
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'release') {
      const { flags, positionals } = parseArgs(rest, { out: 'string' });
      const file = sourcePath('release', positionals);
      if (!flags.out) throw new UsageError('release needs --out <dir>');
      let student;
      try {
        student = release(readSource(file));
      } catch (e) {
        if (e instanceof NotebookFormatError) {
          console.error(`cannot release ${file}:\n${e.message}`);
          return 1;
        }
        throw e;
      }
      const out = path.join(path.resolve(String(flags.out)), path.basename(file));
      if (out === file) throw new UsageError('--out must not be the folder of the source (it would overwrite the solution)');
      writeAtomic(out, JSON.stringify(student, null, 1) + '\n');
      console.log(`released ${path.relative(process.cwd(), out) || out}`);
      return 0;
    }
    if (sub === 'validate') {
      const { flags, positionals } = parseArgs(rest, { 'cell-timeout': 'int' });
      const file = sourcePath('validate', positionals);
      let nb;
      try {
        nb = readSource(file);
      } catch (e) {
        if (e instanceof NotebookFormatError) {
          console.log(`FAIL ${file}\n${e.message}`);
          return 1;
        }
        throw e;
      }
      const cellTimeout = positiveInt('cell-timeout', flags['cell-timeout']);
      const limits = { ...DEFAULT_LIMITS, ...(cellTimeout ? { cellTimeoutMs: cellTimeout * 1000 } : {}) };
      const { opts, cleanup } = kernelContext(repoRoot());
      const pool = new KernelPool(opts, 2);
      try {
        const started = Date.now();
        const report = await validateAssignment(nb, () => pool.acquire(), limits);
        for (const t of report.tests) console.log(`  ${t.gradeId}: ${t.points} points; solution ${t.solution}, student version ${t.student}`);
        for (const p of report.problems) console.log(`  problem${p.cell === null ? '' : ` (cell ${p.cell + 1})`}: ${p.message}`);
        console.log(`${report.ok ? 'OK' : 'FAIL'} ${path.relative(process.cwd(), file) || file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return report.ok ? 0 : 1;
      } finally {
        await pool.close();
        cleanup();
      }
    }
    throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand: validate or release');
  },
};

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { jupyterEnv, repoRoot } from '../../lab/checkout';
import { pythonProblem, SYSTEM_PYTHON } from '../../lab/python';

const usage = `usage: optilab notebooks run [paths...] [--in-place] [--out-dir <dir>] [--cell-timeout <s>]

Executes notebooks headless on the tslab kernel and reports the failing cell and its error.
With no paths, runs every notebooks/*.ipynb. Executed copies go to <out-dir> (default .cache/executed);
--in-place stores the outputs in the notebooks themselves (what the course site renders).
--cell-timeout limits each code cell (default 900 s); a cell whose metadata has {"optilab": {"timeout": s}}
may run that long instead (a full-data training cell on a cold model cache).
Set OPTILAB_QUICK=1 to run the quick (data-subset) versions.`;

/** The interpreter that runs scripts/notebook_runner.py: Debian's Python 3 with python3-nbclient. */
export const DEFAULT_NOTEBOOK_PYTHON = SYSTEM_PYTHON;
let notebookPython = DEFAULT_NOTEBOOK_PYTHON;

/**
 * Sets the Python interpreter `optilab notebooks run` starts (default /usr/bin/python3) and returns the previous
 * one; for tests.
 *
 * @example
 * const previous = setNotebookPython('/nonexistent/python3'); ... setNotebookPython(previous);
 */
export function setNotebookPython(interpreter: string = DEFAULT_NOTEBOOK_PYTHON): string {
  const previous = notebookPython;
  notebookPython = interpreter;
  return previous;
}

const INSTALL_PYTHON = 'install it with: apt-get install python3 python3-nbclient (as root), or run bash scripts/setup.sh';


/** A line of notebook_runner.py --progress: code cells done in the notebook being run. */
interface RunProgress {
  progress: { notebook: string; done: number; cells: number };
}

interface RunResult {
  notebook: string;
  ok: boolean;
  seconds: number;
  cells: number;
  error?: { cell: number | null; source: string; ename: string; evalue: string; traceback: string };
}

function listNotebooks(root: string): string[] {
  const dir = path.join(root, 'notebooks');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => path.join(dir, f));
}

export const command: Command = {
  name: 'notebooks',
  summary: 'run the course notebooks headless (optilab notebooks run [paths])',
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'run') throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'missing subcommand: run');
    const { flags, positionals } = parseArgs(rest, { 'in-place': 'boolean', 'out-dir': 'string', 'cell-timeout': 'int' });
    const root = repoRoot();
    const paths = positionals.length ? positionals.map((p) => path.resolve(p)) : listNotebooks(root);
    for (const p of paths) {
      if (!fs.existsSync(p)) throw new UsageError(`${p} does not exist`);
      if (!p.endsWith('.ipynb')) throw new UsageError(`${p} is not a notebook (.ipynb)`);
    }
    const python = notebookPython;
    const noPython = pythonProblem(python, 'the notebook runner', 'Python 3 with nbclient, which runs notebooks on the tslab kernel', ['python3-nbclient']);
    if (noPython) throw new Error(noPython);
    const env = jupyterEnv(root);
    if (!fs.existsSync(path.join(env.JUPYTER_PATH!, 'kernels', 'tslab', 'kernel.json'))) {
      throw new Error('the tslab kernel is not registered in this checkout: run `bash scripts/setup.sh` first');
    }
    const timeout = positiveInt('cell-timeout', flags['cell-timeout']) ?? 900;
    const outDir = flags['out-dir'] ? path.resolve(String(flags['out-dir'])) : path.join(root, '.cache', 'executed');
    const pyArgs = [path.join(root, 'scripts', 'notebook_runner.py'), ...paths, '--cell-timeout', String(timeout), '--progress'];
    pyArgs.push(...(flags['in-place'] ? ['--in-place'] : ['--out-dir', outDir]));
    const child = spawn(python, pyArgs, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let spawnError: Error | undefined;
    child.on('error', (e) => (spawnError ??= e));
    const closed: Promise<number> = new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const lines = readline.createInterface({ input: child.stdout });
    let failed = 0;
    let ran = 0;
    console.log(`running ${paths.length} notebook(s) on the tslab kernel${process.env.OPTILAB_QUICK === '1' ? ' (OPTILAB_QUICK=1)' : ''}`);
    // progress on stderr: whole notebooks done plus the code cells done in the one running
    const progress = createProgress('notebooks');
    const say = (m: string) => {
      progress.clear();
      console.log(m);
    };
    progress.update(0, path.relative(process.cwd(), paths[0]));
    for await (const line of lines) {
      let r: RunResult | RunProgress;
      try {
        r = JSON.parse(line) as RunResult | RunProgress;
      } catch {
        say(line);
        continue;
      }
      if ('progress' in r) {
        const p = r.progress;
        const cells = p.cells > 0 ? p.done / p.cells : 0;
        progress.update((ran + cells) / paths.length, `${path.relative(process.cwd(), p.notebook)} cell ${p.done}/${p.cells}`);
        continue;
      }
      ran++;
      const name = path.relative(process.cwd(), r.notebook);
      if (r.ok) {
        say(`PASS ${name} (${r.cells} code cells, ${r.seconds.toFixed(1)} s)`);
      } else {
        failed++;
        const e = r.error!;
        const where = e.cell ? `code cell ${e.cell}` : 'before any cell ran';
        say(`FAIL ${name}: ${where}: ${e.ename}: ${e.evalue}`);
        if (e.source) say(e.source.split('\n').slice(0, 8).map((l) => `    | ${l}`).join('\n'));
      }
      progress.update(ran / paths.length, ran < paths.length ? path.relative(process.cwd(), paths[ran]) : name);
    }
    const code = await closed;
    if (spawnError) {
      progress.clear();
      throw new Error(`cannot start ${python} (${spawnError.message}): ${INSTALL_PYTHON}`);
    }
    progress.done(`${ran} notebook(s)`);
    console.log(`${ran - failed} notebook(s) passed, ${failed} failed`);
    if (ran < paths.length) {
      console.log(`the runner stopped early (exit ${code}) after ${ran} of ${paths.length} notebooks`);
      return 1;
    }
    return failed ? 1 : 0;
  },
};

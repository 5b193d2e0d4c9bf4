import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { jupyterEnv, repoRoot } from '../../lab/checkout';

const usage = `usage: optilab notebooks run [paths...] [--in-place] [--out-dir <dir>] [--cell-timeout <s>]

Executes notebooks headless on the tslab kernel and reports the failing cell and its error.
With no paths, runs every notebooks/*.ipynb. Executed copies go to <out-dir> (default .cache/executed);
--in-place stores the outputs in the notebooks themselves (what the course site renders).
Set OPTILAB_QUICK=1 to run the quick (data-subset) versions.`;

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
    const env = jupyterEnv(root);
    if (!fs.existsSync(path.join(env.JUPYTER_PATH!, 'kernels', 'tslab', 'kernel.json'))) {
      throw new Error('the tslab kernel is not registered in this checkout: run `bash scripts/setup.sh` first');
    }
    const timeout = positiveInt('cell-timeout', flags['cell-timeout']) ?? 900;
    const outDir = flags['out-dir'] ? path.resolve(String(flags['out-dir'])) : path.join(root, '.cache', 'executed');
    const pyArgs = [path.join(root, 'scripts', 'notebook_runner.py'), ...paths, '--cell-timeout', String(timeout)];
    pyArgs.push(...(flags['in-place'] ? ['--in-place'] : ['--out-dir', outDir]));
    const child = spawn('/usr/bin/python3', pyArgs, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    let failed = 0;
    let ran = 0;
    console.log(`running ${paths.length} notebook(s) on the tslab kernel${process.env.OPTILAB_QUICK === '1' ? ' (OPTILAB_QUICK=1)' : ''}`);
    for await (const line of lines) {
      let r: RunResult;
      try {
        r = JSON.parse(line) as RunResult;
      } catch {
        console.log(line);
        continue;
      }
      ran++;
      const name = path.relative(process.cwd(), r.notebook);
      if (r.ok) {
        console.log(`PASS ${name} (${r.cells} code cells, ${r.seconds.toFixed(1)} s)`);
        continue;
      }
      failed++;
      const e = r.error!;
      const where = e.cell ? `code cell ${e.cell}` : 'before any cell ran';
      console.log(`FAIL ${name}: ${where}: ${e.ename}: ${e.evalue}`);
      if (e.source) console.log(e.source.split('\n').slice(0, 8).map((l) => `    | ${l}`).join('\n'));
    }
    const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    console.log(`${ran - failed} notebook(s) passed, ${failed} failed`);
    if (ran < paths.length) {
      console.log(`the runner stopped early (exit ${code}) after ${ran} of ${paths.length} notebooks`);
      return 1;
    }
    return failed ? 1 : 0;
  },
};

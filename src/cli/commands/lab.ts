import { spawn, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { EXT_NAMES, installExtensions, jupyterEnv, labPaths } from '../../lab/checkout';
import { pythonProblem, SYSTEM_PYTHON } from '../../lab/python';

const usage = `usage: optilab lab [--port N] [--no-browser] [--notebook-dir <dir>] [--verbose]
       optilab lab install-extension --prefix <dir>

Starts the course lab (JupyterLab 4 with the TypeScript kernel and the optilab visualizers) on 127.0.0.1,
serving the course notebooks (notebooks/), and prints its address. Ctrl-C (or SIGTERM) stops it cleanly,
running kernels included. The server log goes to .jupyter/lab/server.log (--verbose also prints it).

  --port N            port to listen on (default 8888; the next free port if taken)
  --no-browser        do not open a web browser
  --notebook-dir DIR  serve DIR instead of notebooks/ (it must resolve @types/node, e.g. inside the checkout)

install-extension copies the prebuilt optilab extensions (the visualizers, ${EXT_NAMES[0]}, and the hand-in
Submit button, ${EXT_NAMES[1]}) into <dir>/share/jupyter/labextensions, where any JupyterLab 4 whose data path
includes <dir>/share/jupyter finds them (e.g. --prefix "$(python3 -c 'import sys; print(sys.prefix)')" for a
pip-installed JupyterLab). Build them first with scripts/setup.sh.`;

/** The Python that runs the lab's server (labextension/app/server.py on Debian's jupyter_server). */
export const LAB_PYTHON = SYSTEM_PYTHON;

/**
 * Why `python` cannot run the lab's server, or null when it can.
 *
 * @example
 * missingPython('/no/python3'); // 'optilab lab needs /no/python3 (JupyterLab server), which is missing: ...'
 */
export function missingPython(python = LAB_PYTHON): string | null {
  return pythonProblem(python, 'optilab lab', 'JupyterLab server', ['python3-jupyter-server', 'python3-jupyterlab-server']);
}

/** The ServerApp arguments of a lab on 127.0.0.1 serving `notebookDir` with only the tslab kernel. */
export function serverArgs(opts: { port: number; token: string; notebookDir: string; openBrowser: boolean }): string[] {
  const args = [
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${opts.port}`,
    `--ServerApp.token=${opts.token}`,
    `--ServerApp.root_dir=${opts.notebookDir}`,
    `--ServerApp.open_browser=${opts.openBrowser ? 'True' : 'False'}`,
    '--KernelSpecManager.allowed_kernelspecs=tslab',
    '--MappingKernelManager.default_kernel_name=tslab',
  ];
  if (process.getuid?.() === 0) args.push('--ServerApp.allow_root=True');
  return args;
}

function stopOnSignals(child: ChildProcess): () => void {
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`\noptilab lab: ${sig}, stopping the lab and its kernels...`);
    if (child.exitCode === null) child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 15000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * `optilab lab [flags]`: serves the course lab until SIGINT/SIGTERM; resolves with the exit code.
 * `python` runs the server (LAB_PYTHON; a parameter so that tests can name a missing one).
 */
export async function startLab(args: string[], python = LAB_PYTHON): Promise<number> {
  const { flags, positionals } = parseArgs(args, { port: 'int', 'no-browser': 'boolean', 'notebook-dir': 'string', verbose: 'boolean' });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const port = positiveInt('port', flags.port) ?? 8888;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const p = labPaths();
  const notebookDir = path.resolve(String(flags['notebook-dir'] ?? path.join(p.root, 'notebooks')));
  if (!fs.statSync(notebookDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--notebook-dir ${notebookDir} is not a folder`);
  const noPython = missingPython(python);
  if (noPython) {
    console.error(noPython);
    return 1;
  }
  const needs: [string, string][] = [['the lab app', p.bundle], ...p.extensions.map((e): [string, string] => [e.title, path.join(e.dir, 'package.json')]), ['the tslab kernel', p.kernel]];
  for (const [what, file] of needs) {
    if (!fs.existsSync(file)) throw new Error(`${what} is not set up in this checkout (${file} is missing): run \`bash scripts/setup.sh\``);
  }
  installExtensions(path.join(p.root, '.jupyter'), p.root);
  // User settings, workspaces and the server log; OPTILAB_LAB_STATE gives a lab its own (the browser tests do).
  const state = path.resolve(process.env.OPTILAB_LAB_STATE || p.state);
  fs.mkdirSync(state, { recursive: true });

  const token = process.env.OPTILAB_LAB_TOKEN || crypto.randomBytes(24).toString('hex');
  const env = { ...jupyterEnv(p.root), OPTILAB_LAB_STATE: state };
  const logPath = path.join(state, 'server.log');
  const log = fs.createWriteStream(logPath);
  log.on('error', (e) => console.error(`optilab lab: cannot write the server log ${logPath}: ${e.message}`));
  const child = spawn(python, [p.server, ...serverArgs({ port, token, notebookDir, openBrowser: !flags['no-browser'] })], {
    env,
    cwd: notebookDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const release = stopOnSignals(child);
  let announced = false;
  const onLine = (line: string) => {
    log.write(line + '\n');
    if (flags.verbose || /^\[(W|E|C) /.test(line)) console.error(line);
    const m = !announced && /http:\/\/127\.0\.0\.1:(\d+)\/lab/.exec(line);
    if (m) {
      announced = true;
      console.log(`optilab lab: http://127.0.0.1:${m[1]}/lab?token=${token}`);
      console.log(`serving ${notebookDir} (log: ${path.relative(process.cwd(), logPath) || logPath}); Ctrl-C stops the lab and its kernels`);
    }
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);
  let spawnError: Error | undefined;
  const code = await new Promise<number>((resolve) => {
    // 'error' without a pid: the server could not be started, and no 'exit' follows. (With a pid, a signal
    // could not be sent: the server still runs, and its 'exit' ends the wait.)
    child.on('error', (e) => {
      if (child.pid !== undefined) return console.error(`optilab lab: ${e.message}`);
      spawnError = e;
      resolve(1);
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 0 : 1)));
  });
  release();
  // wait until the log is written and closed, so that nothing of this lab is still open once it returns
  await new Promise<void>((resolve) => {
    log.once('close', resolve);
    log.end();
  });
  if (spawnError && !announced) {
    console.error(`optilab lab: could not start the JupyterLab server with ${python}: ${spawnError.message}` +
      '; install python3 with: apt-get install python3 python3-jupyter-server python3-jupyterlab-server, or run bash scripts/setup.sh');
    return 1;
  }
  if (!announced) console.error(`optilab lab: the server stopped before it was ready (exit ${code}); see ${logPath}`);
  else console.log('optilab lab: stopped');
  return announced ? 0 : code || 1;
}

export const command: Command = {
  name: 'lab',
  summary: 'start the course lab (JupyterLab 4 + TypeScript kernel + visualizers) on 127.0.0.1',
  usage,
  async run(args) {
    if (args[0] === 'install-extension') {
      const { flags, positionals } = parseArgs(args.slice(1), { prefix: 'string' });
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      if (!flags.prefix) throw new UsageError('install-extension needs --prefix <dir>');
      const dests = installExtensions(String(flags.prefix));
      EXT_NAMES.forEach((name, i) => console.log(`installed ${name} into ${dests[i]}`));
      return 0;
    }
    return startLab(args);
  },
};

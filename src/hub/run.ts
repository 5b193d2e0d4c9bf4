/**
 * Running a class hub: Debian's JupyterHub (with /usr/bin/python3) configured by jupyterhub_config.py, the
 * checkout's npm configurable-http-proxy, one course lab per student. `startHub` resolves once the hub serves;
 * `stop()` stops it with SIGTERM (the hub stops the proxy and every student's server, which shut their kernels
 * down), then ends anything of this hub still running (found by the OPTILAB_HUB_ID marker) and reports it.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { MAX_SUBMISSION_BYTES } from '../grader/engine/engine';
import { installExtensions, jupyterEnv, labPaths } from '../lab/checkout';
import { hubConfigPath } from './config-path';
import { hubLayout, NAME_PATTERN, type HubLayout } from './layout';
import { endProcesses, processesWithEnv, type MarkedProcess } from './processes';
import { freePort, portFree } from './ports';
import { courseFiles, writeHubFiles, type Authenticator, type HubSettings } from './settings';
import { pythonProblem, SYSTEM_PYTHON } from '../lab/python';

/** How to run a hub. */
export interface HubOptions {
  /** The checkout (course notebooks, node_modules, the lab build). */
  root: string;
  /** State folder (database, cookie secret, logs, exchange, test workspaces). */
  stateDir: string;
  /** Workspaces of test-authenticator students (default <stateDir>/users). */
  usersDir?: string;
  /** Public port of the proxy (default 8000). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  ip?: string;
  authenticator?: Authenticator;
  /** Instructors: the hub's admin role. */
  admins?: string[];
  /** Allowed students (default: anyone the authenticator accepts). */
  users?: string[];
  /** Class password of the test authenticator (default: kept in <stateDir>/test-password, made once). */
  testPassword?: string;
  /** Called with every line of the hub's output (it also goes to <stateDir>/hub.log). */
  onLine?: (line: string) => void;
  /** Seconds the hub may take to start (default 60). */
  startTimeoutSeconds?: number;
  /** Extra environment of the students' servers (e.g. OPTILAB_QUICK). */
  env?: Record<string, string>;
}

/** What stopping a hub found. */
export interface StopReport {
  /** The hub's exit code (null when it had to be killed). */
  code: number | null;
  seconds: number;
  /** Processes of this hub still running after it exited (ended with SIGTERM/SIGKILL): should be none. */
  strays: MarkedProcess[];
}

/** A running hub. */
export interface RunningHub {
  url: string;
  layout: HubLayout;
  settings: HubSettings;
  child: ChildProcess;
  /** Resolves with the hub's exit code when it exits for any reason. */
  exited: Promise<number | null>;
  stop(): Promise<StopReport>;
}

function checkPrerequisites(root: string): void {
  const p = labPaths(root);
  const needs: [string, string, string][] = [
    ['JupyterHub', '/usr/lib/python3/dist-packages/jupyterhub/app.py', 'apt-get install jupyterhub (bash scripts/setup.sh does)'],
    ['jupyterhub-singleuser', '/usr/bin/jupyterhub-singleuser', 'apt-get install jupyterhub (bash scripts/setup.sh does)'],
    ['configurable-http-proxy', path.join(root, 'node_modules', '.bin', 'configurable-http-proxy'), 'npm install in the checkout'],
    ['the lab app', p.bundle, 'bash scripts/setup.sh'],
    // the visualizers and the hand-in (the Submit button, which posts to optilab_submit.py)
    ...p.extensions.map((e): [string, string, string] => [e.title, path.join(e.dir, 'package.json'), 'bash scripts/setup.sh']),
    ['the tslab kernel', p.kernel, 'bash scripts/setup.sh'],
  ];
  for (const [what, file, fix] of needs) {
    if (!fs.existsSync(file)) throw new Error(`${what} is not installed (${file} is missing): run \`${fix}\``);
  }
}

function testPasswordOf(layout: HubLayout, given?: string): string {
  if (given) return given;
  if (fs.existsSync(layout.testPassword)) return fs.readFileSync(layout.testPassword, 'utf8').trim();
  const pw = crypto.randomBytes(9).toString('base64url');
  fs.writeFileSync(layout.testPassword, pw + '\n', { mode: 0o600 });
  return pw;
}

function checkNames(kind: string, names: string[]): void {
  for (const n of names) {
    if (!NAME_PATTERN.test(n)) throw new Error(`${kind} '${n}' is not a valid user name: lowercase letters, digits and _ . - (starting with a letter or digit)`);
  }
}

/**
 * Starts a class hub and resolves once it serves its login page.
 *
 * @example
 * const hub = await startHub({ root: repoRoot(), stateDir: '.cache/hub', authenticator: 'test', admins: ['prof'] });
 * console.log(hub.url); // http://127.0.0.1:8000/
 * const { strays } = await hub.stop(); // [] when every server shut its kernels down
 */
export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const root = path.resolve(opts.root);
  checkPrerequisites(root);
  const authenticator = opts.authenticator ?? 'pam';
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 8000;
  const admins = opts.admins ?? [];
  const users = opts.users ?? [];
  checkNames('admin', admins);
  checkNames('user', users);
  if (authenticator === 'pam' && process.getuid?.() !== 0) {
    throw new Error('the PAM authenticator needs root (the hub starts each server as its student): run it as root, or use --authenticator test for a local trial');
  }
  const noPython = pythonProblem(SYSTEM_PYTHON, 'optilab hub', 'JupyterHub', ['jupyterhub']);
  if (noPython) throw new Error(noPython);
  if (!(await portFree(port, ip))) throw new Error(`port ${port} on ${ip} is in use: choose another with --port N`);
  const layout = hubLayout(opts.stateDir, opts.usersDir);
  fs.mkdirSync(layout.state, { recursive: true });
  fs.mkdirSync(layout.usersDir, { recursive: true });
  installExtensions(path.join(root, '.jupyter'), root);

  const hubId = crypto.randomBytes(8).toString('hex');
  const settings: HubSettings = {
    version: 1,
    root,
    state: layout.state,
    usersDir: layout.usersDir,
    exchange: layout.exchange,
    ip,
    port,
    hubPort: await freePort(),
    proxyApiPort: await freePort(),
    proxyCommand: path.join(root, 'node_modules', '.bin', 'configurable-http-proxy'),
    authenticator,
    testPassword: authenticator === 'test' ? testPasswordOf(layout, opts.testPassword) : '',
    admins,
    users,
    course: courseFiles(root),
    labsFolder: 'labs',
    singleuserEnv: {
      JUPYTER_PATH: path.join(root, '.jupyter', 'share', 'jupyter'),
      JUPYTER_CONFIG_DIR: layout.singleuserConfig,
      PYTHONPATH: path.join(root, 'labextension', 'app'),
      // the hand-in limit of the lab's Submit is the grader's (one definition)
      OPTILAB_SUBMISSION_MAX_BYTES: String(MAX_SUBMISSION_BYTES),
      PATH: [path.join(root, 'node_modules', '.bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
      ...(opts.env ?? {}),
    },
    hubId,
    startTimeout: 120,
    logLevel: 'INFO',
  };
  writeHubFiles(layout, settings);

  const env = { ...jupyterEnv(root), OPTILAB_HUB_SETTINGS: layout.settings, OPTILAB_HUB_ID: hubId };
  const log = fs.createWriteStream(layout.log, { flags: 'a' });
  log.write(`\n== optilab hub ${new Date().toISOString()} (${authenticator} authenticator, port ${port})\n`);
  const child = spawn(SYSTEM_PYTHON, ['-m', 'jupyterhub', '-f', hubConfigPath()], { cwd: layout.state, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    // a failed start (no exit event follows): its reason goes to the tail the start error shows
    child.on('error', (e) => {
      tail.push(`cannot start ${SYSTEM_PYTHON}: ${e.message}`);
      resolve(null);
    });
  });
  const tail: string[] = [];
  let ready: (() => void) | undefined;
  const onLine = (line: string) => {
    log.write(line + '\n');
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.onLine?.(line);
    if (/JupyterHub is now running at/.test(line)) ready?.();
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);

  const url = `http://${ip}:${port}/`;
  const strays = () => processesWithEnv('OPTILAB_HUB_ID', hubId);
  let stopped: Promise<StopReport> | undefined;
  const stop = (): Promise<StopReport> => {
    stopped ??= (async () => {
      const t0 = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const code = await exited;
      clearTimeout(timer);
      const found = await endProcesses(strays);
      log.end();
      return { code, seconds: (performance.now() - t0) / 1000, strays: found };
    })();
    return stopped;
  };

  const timeoutMs = (opts.startTimeoutSeconds ?? 60) * 1000;
  try {
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      const timer = setTimeout(() => reject(new Error(`the hub did not start in ${timeoutMs / 1000} s; its last lines:\n${tail.join('\n')}`)), timeoutMs);
      exited.then((code) => reject(new Error(`the hub exited (code ${code}) before it was ready; its last lines (full log: ${layout.log}):\n${tail.join('\n')}`)));
      ready = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, layout, settings, child, exited, stop };
}

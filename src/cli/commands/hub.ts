import * as fs from 'fs';
import * as path from 'path';
import { Command, oneOf, parseArgs, positiveInt, UsageError } from '../command';
import { repoRoot } from '../../lab/checkout';
import { NotebookFormatError } from '../../grader/assignment/format';
import { collectAssignment } from '../../hub/collect';
import { releasedAssignments } from '../../hub/exchange';
import { defaultStateDir, hubLayout } from '../../hub/layout';
import { releaseToClass } from '../../hub/release';
import { startHub } from '../../hub/run';

const usage = `usage: optilab hub [--port N] [--ip ADDR] [--authenticator pam|test] [--admins a,b] [--users a,b]
                   [--state-dir DIR] [--users-dir DIR] [--test-password PW] [--verbose]
       optilab hub release <source.ipynb> [--state-dir DIR]
       optilab hub collect <assignment> --out <dir> [--due <ISO time>] [--state-dir DIR]

Runs the course for a class: JupyterHub (Debian's, with /usr/bin/python3) starts one course lab (JupyterLab 4 +
TypeScript kernel + visualizers) per student behind configurable-http-proxy, bound to 127.0.0.1 by default.
Each student's workspace gets the chapter notebooks and the released labs (labs/) at every login, copying only
what is missing: a student's edits are never overwritten. Ctrl-C (or SIGTERM) stops the hub, the proxy, every
student's server and their kernels.

  --port N             public port (default 8000)
  --ip ADDR            address to listen on (default 127.0.0.1; put a TLS-terminating proxy in front for a network)
  --authenticator A    pam (default): system accounts; each student's server runs as that user, workspace
                       ~<user>/optilab (needs root). test: any user name with the class password (--test-password,
                       or the one kept in <state>/test-password), servers run as the hub's user, workspaces in
                       --users-dir: for local trials only (students are not isolated from each other's kernels)
  --admins a,b         instructors (JupyterHub's admin role: the admin page at /hub/admin, access to every server)
  --users a,b          allowed students (default: anyone the authenticator accepts; admins can add more at /hub/admin)
  --state-dir DIR      hub state: database, cookie secret, hub.log, the exchange (default .cache/hub in the checkout)
  --users-dir DIR      workspaces of test-authenticator students (default <state>/users)

release  writes the student version of an assignment source (as optilab assign release: solutions stubbed,
         hidden tests removed) to the exchange and to labs/<name>.ipynb in every student's workspace that does
         not have it (students who log in later get it then). Students hand it in with the lab's Submit button.
collect  copies each student's latest submission of <assignment> to <dir>/<student>.ipynb, ready for
         optilab grade <dir> --assignment <source.ipynb> --out <graded>, and writes <dir>/submissions.csv
         (submitted_at in UTC, late and minutes_late against --due, the number of submissions).
         --due takes an ISO 8601 time with a zone, e.g. 2025-03-01T23:59:00Z or 2025-03-01T23:59+01:00.`;

function names(value: unknown): string[] {
  if (value === undefined) return [];
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

function stateDirOf(flags: Record<string, unknown>): string {
  return path.resolve(String(flags['state-dir'] ?? defaultStateDir(repoRoot())));
}

async function runHub(args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, {
    port: 'int', ip: 'string', authenticator: 'string', admins: 'string', users: 'string',
    'state-dir': 'string', 'users-dir': 'string', 'test-password': 'string', verbose: 'boolean',
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (subcommands: release, collect)`);
  const port = positiveInt('port', flags.port) ?? 8000;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const authenticator = oneOf('authenticator', flags.authenticator, ['pam', 'test'] as const) ?? 'pam';
  if (flags['test-password'] !== undefined && authenticator !== 'test') throw new UsageError('--test-password goes with --authenticator test');
  const stateDir = stateDirOf(flags);
  const verbose = Boolean(flags.verbose);
  const hub = await startHub({
    root: repoRoot(),
    stateDir,
    usersDir: flags['users-dir'] === undefined ? undefined : path.resolve(String(flags['users-dir'])),
    port,
    ip: flags.ip === undefined ? undefined : String(flags.ip),
    authenticator,
    admins: names(flags.admins),
    users: names(flags.users),
    testPassword: flags['test-password'] === undefined ? undefined : String(flags['test-password']),
    env: process.env.OPTILAB_QUICK ? { OPTILAB_QUICK: process.env.OPTILAB_QUICK } : undefined,
    onLine: (line) => {
      if (verbose || /^\[(W|E|C) /.test(line)) console.error(line);
    },
  });
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  const s = hub.settings;
  console.log(`optilab hub: ${hub.url}`);
  console.log(
    authenticator === 'test'
      ? `  test authenticator: any user name, class password ${s.testPassword}; workspaces in ${rel(s.usersDir)}`
      : '  PAM authenticator: students log in with their system accounts; workspaces in ~<user>/optilab',
  );
  console.log(`  admins: ${s.admins.join(', ') || 'none (--admins a,b)'}; released labs: ${releasedAssignments(hub.layout).join(', ') || 'none yet'}`);
  console.log(`  state: ${rel(hub.layout.state)} (log: ${rel(hub.layout.log)}); Ctrl-C stops the hub, the proxy, every server and kernel`);

  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`\noptilab hub: ${sig}, stopping the hub, the proxy, the students' servers and their kernels...`);
    void hub.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await hub.exited;
  const report = await hub.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (report.strays.length) {
    console.error(`optilab hub: ${report.strays.length} process(es) of this hub were still running after it stopped; ended them:`);
    for (const p of report.strays) console.error(`  ${p.pid} ${p.user ?? ''} ${p.args.slice(0, 160)}`);
  }
  console.log(`optilab hub: stopped in ${report.seconds.toFixed(1)} s (${report.strays.length} stray processes)`);
  return stopping ? 0 : code || 1;
}

export const command: Command = {
  name: 'hub',
  summary: 'run the course for a class: JupyterHub with one course lab per student (hub, hub release, hub collect)',
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'release') {
      const { flags, positionals } = parseArgs(rest, { 'state-dir': 'string' });
      if (positionals.length !== 1) throw new UsageError('release needs exactly one assignment source (.ipynb)');
      const source = path.resolve(positionals[0]);
      if (!fs.existsSync(source)) throw new UsageError(`${source} does not exist`);
      try {
        const r = releaseToClass(source, hubLayout(stateDirOf(flags)));
        console.log(`released ${r.assignment} -> ${path.relative(process.cwd(), r.released) || r.released}`);
        console.log(`  copied into ${r.copiedTo.length} workspace(s)${r.copiedTo.length ? `: ${r.copiedTo.join(', ')}` : ''}`);
        if (r.kept.length) console.log(`  already there, left as it is (may hold their work): ${r.kept.join(', ')}`);
        console.log('  students who log in for the first time get it then');
        return 0;
      } catch (e) {
        if (e instanceof NotebookFormatError) {
          console.error(`cannot release ${source} (run optilab assign validate):\n${e.message}`);
          return 1;
        }
        throw e;
      }
    }
    if (sub === 'collect') {
      const { flags, positionals } = parseArgs(rest, { out: 'string', due: 'string', 'state-dir': 'string' });
      if (positionals.length !== 1) throw new UsageError('collect needs exactly one assignment name (e.g. quantization-lab)');
      if (!flags.out) throw new UsageError('collect needs --out <dir>');
      const assignment = positionals[0].replace(/\.ipynb$/i, '');
      let report;
      try {
        report = collectAssignment(hubLayout(stateDirOf(flags)), assignment, String(flags.out), { due: flags.due === undefined ? undefined : String(flags.due) });
      } catch (e) {
        if (/deadline/.test((e as Error).message)) throw new UsageError((e as Error).message);
        throw e;
      }
      const got = report.rows.filter((r) => r.status === 'submitted');
      const late = got.filter((r) => r.late);
      for (const r of report.rows) {
        console.log(`  ${r.student}: ${r.status === 'missing' ? 'no submission' : `${r.submittedAt}${r.late ? ` LATE by ${r.minutesLate} min` : ''} (${r.submissions} submission${r.submissions === 1 ? '' : 's'})`}`);
      }
      const out = path.relative(process.cwd(), report.out) || report.out;
      console.log(`collected ${got.length} submission(s) of ${assignment}${report.due ? `, ${late.length} late` : ''} -> ${out} (submissions.csv)`);
      return 0;
    }
    return runHub(args);
  },
};

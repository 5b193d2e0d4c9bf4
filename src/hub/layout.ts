/**
 * Where a class hub keeps its state: one folder (default `.cache/hub/` in the checkout, never the home
 * directory) with the hub's database, cookie secret, logs, the students' workspaces (test authenticator) and
 * the assignment exchange.
 */
import * as path from 'path';

/** The files and folders of one hub state folder. */
export interface HubLayout {
  /** The state folder itself. */
  state: string;
  /** Settings `optilab hub` writes for jupyterhub_config.py. */
  settings: string;
  /** jupyter_server config folder of the students' servers (jupyter_server_config.d/ registers the lab). */
  singleuserConfig: string;
  /** Students' workspaces with the test authenticator: <usersDir>/<name>/. */
  usersDir: string;
  /** One JSON record per student who has logged in ({name, workspace, uid, gid}), kept by the hub. */
  workspaces: string;
  /** The assignment exchange: released/<assignment>.ipynb, submitted/<assignment>/<student>/. */
  exchange: string;
  released: string;
  submitted: string;
  /** The hub's log (jupyterhub, the proxy and the students' servers). */
  log: string;
  /** The class password of the test authenticator (kept, so restarts keep it). */
  testPassword: string;
}

/**
 * The layout of a hub state folder.
 *
 * @example
 * hubLayout('/course/.cache/hub').exchange; // '/course/.cache/hub/exchange'
 */
export function hubLayout(state: string, usersDir?: string): HubLayout {
  const s = path.resolve(state);
  const exchange = path.join(s, 'exchange');
  return {
    state: s,
    settings: path.join(s, 'settings.json'),
    singleuserConfig: path.join(s, 'singleuser-config'),
    usersDir: path.resolve(usersDir ?? path.join(s, 'users')),
    workspaces: path.join(s, 'workspaces'),
    exchange,
    released: path.join(exchange, 'released'),
    submitted: path.join(exchange, 'submitted'),
    log: path.join(s, 'hub.log'),
    testPassword: path.join(s, 'test-password'),
  };
}

/**
 * The default state folder of a checkout: `<root>/.cache/hub`.
 *
 * @example
 * defaultStateDir('/work/optilab'); // '/work/optilab/.cache/hub'
 */
export function defaultStateDir(root: string): string {
  return path.join(root, '.cache', 'hub');
}

/** Student and assignment names become folder names: plain lowercase names only (as the hub enforces). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Assignment names (a notebook's name without .ipynb): letters, digits, `_ . -`. */
export const ASSIGNMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

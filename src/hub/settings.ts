/**
 * The settings `optilab hub` hands to jupyterhub_config.py (as <state>/settings.json), and the jupyter_server
 * configuration of the students' servers (the course lab registered as a server extension, tslab only).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { HubLayout } from './layout';

export type Authenticator = 'pam' | 'test';

/** A course file copied into every workspace when missing. */
export interface CourseFile {
  /** Absolute source path. */
  src: string;
  /** Path inside the workspace. */
  dest: string;
}

/** What jupyterhub_config.py reads (see that file). */
export interface HubSettings {
  version: 1;
  root: string;
  state: string;
  usersDir: string;
  exchange: string;
  ip: string;
  port: number;
  hubPort: number;
  proxyApiPort: number;
  proxyCommand: string;
  authenticator: Authenticator;
  testPassword: string;
  admins: string[];
  /** Allowed users (empty: anyone the authenticator accepts). */
  users: string[];
  course: CourseFile[];
  /** Folder of the released labs inside each workspace. */
  labsFolder: string;
  /** Environment of the students' servers (Jupyter paths, PATH with the checkout's node_modules/.bin, ...). */
  singleuserEnv: Record<string, string>;
  /** Marker in every student server's environment: what still carries it after the hub stopped is a stray. */
  hubId: string;
  startTimeout: number;
  logLevel: string;
}

/**
 * The chapter notebooks (`notebooks/*.ipynb`) every student gets. Graded labs are not in it: students get
 * their released (student) versions, never the sources in notebooks/labs/.
 *
 * @example
 * courseFiles('/work/optilab')[0]; // { src: '/work/optilab/notebooks/00-getting-started.ipynb', dest: '00-getting-started.ipynb' }
 */
export function courseFiles(root: string): CourseFile[] {
  const dir = path.join(root, 'notebooks');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .sort()
    .map((f) => ({ src: path.join(dir, f), dest: f }));
}

/**
 * Writes settings.json and the students' jupyter_server configuration into the state folder.
 *
 * @example
 * writeHubFiles(hubLayout('.cache/hub'), settings);
 */
export function writeHubFiles(layout: HubLayout, settings: HubSettings): void {
  fs.mkdirSync(layout.state, { recursive: true, mode: 0o755 });
  const tmp = `${layout.settings}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, layout.settings);
  // The lab is enabled the way jupyter_server finds extensions (jupyter_server_config.d/); the other settings go
  // to jupyter_server_config.json (jupyter_server 1.x reads only extension switches from the .d folder).
  const confd = path.join(layout.singleuserConfig, 'jupyter_server_config.d');
  fs.mkdirSync(confd, { recursive: true });
  fs.writeFileSync(path.join(confd, 'optilab-lab.json'), JSON.stringify({ ServerApp: { jpserver_extensions: { server: true } } }, null, 2) + '\n');
  const serverConfig = {
    KernelSpecManager: { allowed_kernelspecs: ['tslab'] },
    MappingKernelManager: { default_kernel_name: 'tslab' },
    // node_modules is the workspace's link to the checkout's packages (for tslab): not course material.
    ContentsManager: { hide_globs: ['__pycache__', '*.pyc', '*.pyo', '.DS_Store', '*.so', '*.dylib', '*~', 'node_modules'] },
  };
  fs.writeFileSync(path.join(layout.singleuserConfig, 'jupyter_server_config.json'), JSON.stringify(serverConfig, null, 2) + '\n');
  for (const d of [layout.exchange, layout.released, layout.submitted]) fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  fs.chmodSync(layout.exchange, 0o755);
}

/**
 * Where things are in an optilab checkout (Node): its root, the project-local Jupyter environment, the lab
 * build and the prebuilt JupyterLab extensions (the visualizers and the hand-in). Library side, so that every
 * face (cli, hub, bench) can use it.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The checkout's root folder (the parent of the `optilab` package folder `src/`). */
export function repoRoot(): string {
  return path.dirname(fs.realpathSync(path.dirname(require.resolve('optilab/package.json'))));
}

/** Environment with the project-local Jupyter folders (the kernelspec is registered there, never in $HOME). */
export function jupyterEnv(root = repoRoot()): NodeJS.ProcessEnv {
  const j = path.join(root, '.jupyter');
  return {
    ...process.env,
    JUPYTER_PATH: path.join(j, 'share', 'jupyter'),
    JUPYTER_DATA_DIR: path.join(j, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(j, 'runtime'),
    JUPYTER_CONFIG_DIR: path.join(j, 'config'),
    PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

/** The visualizer extension (labextension/optilab-viz): MIME renderers of the optilab payloads. */
export const VIZ_EXT_NAME = '@optilab/jupyterlab-viz';

/** The hand-in extension (labextension/optilab-submit): the notebook's Submit button under `optilab hub`. */
export const SUBMIT_EXT_NAME = '@optilab/jupyterlab-submit';

/** Every prebuilt extension of the course lab, each a package in labextension/ built by labextension/build.js. */
export const EXT_NAMES = [VIZ_EXT_NAME, SUBMIT_EXT_NAME] as const;

export type ExtName = (typeof EXT_NAMES)[number];

/** What each extension is, for messages ("the visualizer extension is not set up ..."). */
export const EXT_TITLES: Record<ExtName, string> = {
  [VIZ_EXT_NAME]: 'the visualizer extension',
  [SUBMIT_EXT_NAME]: 'the hand-in (Submit) extension',
};

/** One built extension: its package name, what it is, and the folder build.js writes it to. */
export interface BuiltExtension {
  name: ExtName;
  title: string;
  dir: string;
}

/** Where the lab build lives in a checkout. */
export function labPaths(root = repoRoot()) {
  const lab = path.join(root, 'labextension');
  const built = (name: ExtName): BuiltExtension => ({ name, title: EXT_TITLES[name], dir: path.join(lab, 'build', 'labextensions', ...name.split('/')) });
  return {
    root,
    server: path.join(lab, 'app', 'server.py'),
    bundle: path.join(lab, 'build', 'lab', 'static', 'bundle.js'),
    /** Every extension's build, in EXT_NAMES order. */
    extensions: EXT_NAMES.map(built),
    state: path.join(root, '.jupyter', 'lab'),
    kernel: path.join(root, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'),
  };
}

/** The built extensions of `root` that are missing (no package.json in their build folder). */
export function missingExtensions(root = repoRoot()): BuiltExtension[] {
  return labPaths(root).extensions.filter((e) => !fs.existsSync(path.join(e.dir, 'package.json')));
}

/**
 * Copies every prebuilt extension of the course lab (EXT_NAMES) into
 * `<prefix>/share/jupyter/labextensions/<name>` (replacing older copies). Checks that all are built before
 * copying any. Returns the destinations, in EXT_NAMES order.
 *
 * @example
 * installExtensions('/opt/conda');
 * // ['/opt/conda/share/jupyter/labextensions/@optilab/jupyterlab-viz', '/opt/conda/share/jupyter/labextensions/@optilab/jupyterlab-submit']
 */
export function installExtensions(prefix: string, root = repoRoot()): string[] {
  const missing = missingExtensions(root);
  if (missing.length) {
    throw new Error(`${missing.map((e) => `${e.title} (${e.name}) is not built (${e.dir} is missing)`).join('; ')}: run \`bash scripts/setup.sh\` first`);
  }
  return labPaths(root).extensions.map((e) => {
    const dest = path.join(path.resolve(prefix), 'share', 'jupyter', 'labextensions', ...e.name.split('/'));
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.cpSync(e.dir, dest, { recursive: true });
    return dest;
  });
}

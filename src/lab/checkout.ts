/**
 * Where things are in an optilab checkout (Node): its root, the project-local Jupyter environment, the lab
 * build and the prebuilt visualizer extension. Library side, so that every face (cli, hub, bench) can use it.
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

/** The visualizer extension's package name. */
export const EXT_NAME = '@optilab/jupyterlab-viz';

/** Where the lab build lives in a checkout. */
export function labPaths(root = repoRoot()) {
  const lab = path.join(root, 'labextension');
  return {
    root,
    server: path.join(lab, 'app', 'server.py'),
    bundle: path.join(lab, 'build', 'lab', 'static', 'bundle.js'),
    extension: path.join(lab, 'build', 'labextensions', ...EXT_NAME.split('/')),
    state: path.join(root, '.jupyter', 'lab'),
    kernel: path.join(root, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'),
  };
}

/**
 * Copies the prebuilt extension into `<prefix>/share/jupyter/labextensions/@optilab/jupyterlab-viz`
 * (replacing an older copy). Returns the destination.
 *
 * @example
 * installExtension('/opt/conda'); // '/opt/conda/share/jupyter/labextensions/@optilab/jupyterlab-viz'
 */
export function installExtension(prefix: string, root = repoRoot()): string {
  const { extension } = labPaths(root);
  if (!fs.existsSync(path.join(extension, 'package.json'))) {
    throw new Error(`the extension is not built (${extension} is missing): run \`bash scripts/setup.sh\` first`);
  }
  const dest = path.join(path.resolve(prefix), 'share', 'jupyter', 'labextensions', ...EXT_NAME.split('/'));
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(extension, dest, { recursive: true });
  return dest;
}

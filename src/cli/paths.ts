/** Where things are in an optilab checkout (Node). */
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

/**
 * Debian's Python 3, which runs the lab's server, the notebook runner (nbclient) and JupyterHub: one check of it
 * for every face, so a missing interpreter is reported the same way everywhere (what is missing, what to install).
 */
import * as fs from 'fs';

/** The interpreter the lab, the notebook runner and the hub start. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Why `python` cannot run (missing, not a file, not executable), as one message naming what needs it and the
 * Debian packages to install; null when it can run.
 *
 * @example
 * pythonProblem('/no/python3', 'optilab lab', 'the JupyterLab server', ['python3-jupyter-server']);
 * // 'optilab lab needs /no/python3 (the JupyterLab server), which is missing: install it with: apt-get install python3 python3-jupyter-server (as root), or run bash scripts/setup.sh'
 */
export function pythonProblem(python: string, who: string, purpose: string, packages: string[]): string | null {
  const stat = fs.statSync(python, { throwIfNoEntry: false });
  let problem: string | null = null;
  if (!stat) problem = 'which is missing';
  else if (!stat.isFile()) problem = 'which is not a file';
  else {
    try {
      fs.accessSync(python, fs.constants.X_OK);
    } catch {
      problem = 'which is not executable';
    }
  }
  if (!problem) return null;
  return `${who} needs ${python} (${purpose}), ${problem}: install it with: apt-get install ${['python3', ...packages].join(' ')} (as root), or run bash scripts/setup.sh`;
}

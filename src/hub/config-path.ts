/** Where the hub's Python files (not compiled) live, from src/hub or src/dist/hub. */
import * as fs from 'fs';
import * as path from 'path';

function hubFile(name: string): string {
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', '..', 'hub', name)];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(`${name} is missing (looked for ${candidates.join(', ')}): reinstall optilab`);
}

/**
 * Absolute path of the hub's JupyterHub configuration file.
 *
 * @example
 * hubConfigPath(); // '/work/optilab/src/hub/jupyterhub_config.py'
 */
export function hubConfigPath(): string {
  return hubFile('jupyterhub_config.py');
}

/**
 * Absolute path of fill_workspace.py (copies missing course files into a workspace, run as its owner).
 *
 * @example
 * fillWorkspacePath(); // '/work/optilab/src/hub/fill_workspace.py'
 */
export function fillWorkspacePath(): string {
  return hubFile('fill_workspace.py');
}

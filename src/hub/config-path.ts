/** Where jupyterhub_config.py (Python, not compiled) lives, from src/hub or src/dist/hub. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Absolute path of the hub's JupyterHub configuration file.
 *
 * @example
 * hubConfigPath(); // '/work/optilab/src/hub/jupyterhub_config.py'
 */
export function hubConfigPath(): string {
  const candidates = [path.join(__dirname, 'jupyterhub_config.py'), path.join(__dirname, '..', '..', 'hub', 'jupyterhub_config.py')];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(`the hub configuration is missing (looked for ${candidates.join(', ')}): reinstall optilab`);
}

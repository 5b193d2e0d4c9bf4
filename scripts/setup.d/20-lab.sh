#!/usr/bin/env bash
# The course lab: installs labextension/ (its own npm root and committed lockfile: the JupyterLab 4 packages,
# webpack via @jupyterlab/builder, plotly, playwright-core for the browser tests), builds the prebuilt
# extensions (optilab-viz: the visualizers; optilab-submit: the hand-in Submit button) and the lab app (each
# skipped when its inputs did not change), and installs both extensions into the project's Jupyter data path
# (.jupyter/share/jupyter/labextensions).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
cd labextension
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ]; then
  echo "lab: labextension/node_modules is up to date"
else
  echo "lab: installing labextension/ npm packages (committed lockfile)"
  t0=$SECONDS
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
  echo "lab: npm install took $((SECONDS - t0)) s"
fi
node build.js
cd "$ROOT"
node src/dist/cli/main.js lab install-extension --prefix "$ROOT/.jupyter"

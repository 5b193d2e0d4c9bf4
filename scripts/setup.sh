#!/usr/bin/env bash
# Installs everything optilab needs on a fresh Debian 12 machine (npm registry + Debian apt only) and builds it.
# Idempotent: a second run only checks. Parts (lab, site, grader) add steps as scripts/setup.d/NN-name.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { printf '\n== %s\n' "$*"; }

APT_PACKAGES=(
  python3-jupyter-server python3-jupyterlab-server python3-nbclient jupyter-nbconvert jupyter-client python3-ipykernel
  python3-torch python3-onnx dataset-fashion-mnist chromium bubblewrap
)
for f in scripts/setup.d/*.apt; do [ -e "$f" ] && mapfile -t -O "${#APT_PACKAGES[@]}" APT_PACKAGES < <(grep -v '^#' "$f"); done
missing=()
for p in "${APT_PACKAGES[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

say "npm: installing the workspace (committed lockfile)"
# onnxruntime-node's postinstall fetches CUDA binaries from outside the npm registry: skip it (its CPU binaries
# ship in the package). An environment variable, since npm warns about (and will drop) unknown .npmrc keys.
export ONNXRUNTIME_NODE_INSTALL=skip
npm install --no-audit --no-fund --loglevel=error

say "build: compiling the optilab library"
npm run --silent build
# npm install links the `optilab` bin only when src/dist/cli/main.js exists: link it now that the build made it.
npm rebuild --ignore-scripts --loglevel=error optilab
test -x node_modules/.bin/optilab

say "jupyter: registering the tslab kernel inside the project"
export JUPYTER_PATH="$ROOT/.jupyter/share/jupyter" JUPYTER_DATA_DIR="$ROOT/.jupyter/data" JUPYTER_RUNTIME_DIR="$ROOT/.jupyter/runtime" JUPYTER_CONFIG_DIR="$ROOT/.jupyter/config"
node_modules/.bin/tslab install --python /usr/bin/python3 --prefix "$ROOT/.jupyter" > /dev/null
test -f "$ROOT/.jupyter/share/jupyter/kernels/tslab/kernel.json"

for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  say "setup: $step"
  bash "$step"
done
say "setup done"

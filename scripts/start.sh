#!/usr/bin/env bash
# Installs everything, then starts the course on localhost: the course site (if built) in the background and
# the lab in the foreground. Ctrl-C stops both (and the lab's kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -x site/serve.sh ]; then
  bash site/serve.sh &
  pids+=($!)
fi
if [ -f src/dist/cli/commands/lab.js ]; then
  node src/dist/cli/main.js lab "$@"
else
  echo "The lab is not part of this checkout yet; open the notebooks with: optilab notebooks run"
  wait
fi

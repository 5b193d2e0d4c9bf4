#!/usr/bin/env bash
# Installs everything, then starts the course on localhost: the course site and the lab. Ctrl-C (or SIGTERM
# to this script) stops both, the lab's kernels included.
# Usage: bash scripts/start.sh [--site-port N] [lab options: --port N, --no-browser, --notebook-dir DIR, ...]
set -euo pipefail
cd "$(dirname "$0")/.."
site_port=3000
lab_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --site-port)
      [ $# -ge 2 ] || { echo "start.sh: --site-port needs a port number" >&2; exit 2; }
      site_port=$2; shift 2 ;;
    *) lab_args+=("$1"); shift ;;
  esac
done
bash scripts/setup.sh
source scripts/env.sh
pids=()
stop() {
  trap - INT TERM EXIT
  # The lab stops its kernels on SIGTERM; wait for it so nothing is left behind.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT
# Background jobs, so that a signal to this script is handled at once (bash defers traps while a foreground
# child runs) and forwarded.
bash site/serve.sh --port "$site_port" &
pids+=($!)
node src/dist/cli/main.js lab "${lab_args[@]}" &
pids+=($!)
wait "${pids[1]}"

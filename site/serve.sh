#!/usr/bin/env bash
# Serves the built course site on localhost (default http://127.0.0.1:3000), building it first if needed.
# Usage: bash site/serve.sh [--port N] [--host H]   (or PORT=N HOST=H bash site/serve.sh)
set -euo pipefail
cd "$(dirname "$0")"
PORT=${PORT:-3000}
HOST=${HOST:-127.0.0.1}
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    *) echo "serve.sh: unknown argument $1 (use --port N, --host H)" >&2; exit 2 ;;
  esac
done
if [ ! -f build/index.html ]; then
  echo "site: no build yet, building it (bash scripts/setup.d/30-site.sh does this during setup)" >&2
  npm run --silent build
fi
exec node_modules/.bin/docusaurus serve --dir build --port "$PORT" --host "$HOST" --no-open

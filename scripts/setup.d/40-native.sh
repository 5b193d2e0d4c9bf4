#!/usr/bin/env bash
# optilab's native training kernels: builds src/native (N-API addon on oneDNN) with the node-gyp bundled with npm,
# against this machine's Node headers. Skipped when the built addon is newer than its sources. A failed build
# is reported but does not stop setup: optilab then trains on its plain wasm kernels (`optilab info` says which).
set -euo pipefail
cd "$(dirname "$0")/../../src/native"
addon=build/Release/optilab_native.node
if [ -f "$addon" ] && [ -z "$(find binding.gyp src -newer "$addon" -print -quit)" ]; then
  echo "native: $addon is up to date"
  exit 0
fi
npm_root=$(dirname "$(readlink -f "$(command -v npm)")")/..
gyp="$npm_root/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir=$(npm config get nodedir 2>/dev/null || true)
[ -n "$nodedir" ] && [ "$nodedir" != "undefined" ] || nodedir=/usr
t0=$SECONDS
if node "$gyp" rebuild --nodedir="$nodedir" --loglevel=error > build.log 2>&1 && node -e "require('./$addon').version()" > /dev/null; then
  echo "native: built $addon in $((SECONDS - t0)) s"
  rm -f build.log
else
  echo "native: WARNING: building the native kernels failed (log: src/native/build.log); training uses the wasm kernels" >&2
fi

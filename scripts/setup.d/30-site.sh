#!/usr/bin/env bash
# The course site: installs site/ (its own npm root and committed lockfile: Docusaurus 3.10, plotly, sucrase,
# KaTeX, local search, playwright-core for the browser tests) and builds it into site/build. Both steps are
# skipped when their inputs did not change (a hash of the site sources, all of the compiled library in src/dist
# (the notebook runtime bundles its core), bench results, notebooks and the Fashion-MNIST files the site serves is
# kept in site/build/.inputs-sha).
# Needs the library compiled (npm run build).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
cd site
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ]; then
  echo "site: site/node_modules is up to date"
else
  echo "site: installing site/ npm packages (committed lockfile; npm install, since npm ci rejects the @swc platform builds)"
  t0=$SECONDS
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
  echo "site: npm install took $((SECONDS - t0)) s"
fi
inputs_sha() {
  {
    find . \( -path ./node_modules -o -path ./build -o -path ./.docusaurus -o -path ./src/generated -o -path ./docs/notebooks -o -path ./static/notebooks \) -prune -o -type f -print
    # All of the compiled library: the notebook runtime bundles its core (models, train, data, onnx, ...).
    find "$ROOT/src/dist" -name '*.js' 2>/dev/null || true
    find "$ROOT/bench/results" -maxdepth 1 -name '*.json' 2>/dev/null || true
    find "$ROOT/notebooks" -maxdepth 1 -name '*.ipynb' 2>/dev/null || true
    # The graded labs (site/scripts/prepare-labs.mjs publishes their student versions).
    find "$ROOT/notebooks/labs" -maxdepth 1 -name '*.ipynb' 2>/dev/null || true
    find "$ROOT/.cache/executed" -maxdepth 1 -name "*.ipynb" 2>/dev/null || true
    # Fashion-MNIST of Debian dataset-fashion-mnist, served to the notebook runner (site/scripts/prepare-runtime.mjs).
    find /usr/share/datasets/fashion-mnist -maxdepth 1 -name '*.gz' 2>/dev/null || true
    # The KJV of Debian bible-kjv-text, served to the notebook runner (site/scripts/prepare-runtime.mjs).
    find /usr/lib -maxdepth 1 -name 'bible.data' 2>/dev/null || true
  } | LC_ALL=C sort | xargs -d '\n' sha1sum | sha1sum | cut -d' ' -f1
}
sha=$(inputs_sha)
if [ -f build/index.html ] && [ "$(cat build/.inputs-sha 2>/dev/null)" = "$sha" ]; then
  echo "site: site/build is up to date"
else
  echo "site: building the site (docusaurus build)"
  t0=$SECONDS
  npm run --silent build
  echo "$sha" > build/.inputs-sha
  echo "site: build took $((SECONDS - t0)) s"
fi

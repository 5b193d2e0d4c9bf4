#!/usr/bin/env bash
# The course site: coverage list and exercise wiring (no browser), then the browser tests against the built
# site served by site/serve.sh on 127.0.0.1 (Debian chromium via playwright-core from site/). Screenshots and
# measurements (first-load JS, timeout latency, figures per page) go to test-artifacts/site-*; the notebook
# runner's tests (tests/browser/notebook-runner*.test.ts) run notebooks in the browser; tests/browser/site-labs.test.ts
# runs a graded lab's visible checks there and checks that no solution or hidden test reached the site;
# tests/browser/site-offline.test.ts reloads a notebook page offline (the service worker, site/static/sw.js).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "site: type-checking site/ (tsc --noEmit)"
(cd site && node_modules/.bin/tsc --noEmit)
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 tests/exercises/*.test.ts tests/browser/site-coverage.test.ts tests/browser/site.test.ts tests/browser/site-labs.test.ts tests/browser/site-offline.test.ts tests/browser/notebook-runner*.test.ts

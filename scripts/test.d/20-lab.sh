#!/usr/bin/env bash
# Browser tests of the course lab: `optilab lab` in Debian's chromium driven by playwright-core (from
# labextension/). Screenshots (light, dark, error box) and timings go to test-artifacts/lab-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 tests/browser/lab*.test.ts

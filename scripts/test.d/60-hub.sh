#!/usr/bin/env bash
# Class hub suite: the real `optilab hub` (Debian JupyterHub 3.0 + the npm configurable-http-proxy) with an
# instructor and two students in Debian's chromium (playwright-core from labextension/), tslab kernels,
# release / Submit / collect / grade, isolation between students, and a clean SIGTERM shutdown.
# Timings go to test-artifacts/hub-timings.json. (tests/hub/*.test.ts are fast unit tests run with the others.)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 tests/hub/*.suite.ts

#!/usr/bin/env bash
# Executes every notebooks/*.ipynb on the tslab kernel (OPTILAB_QUICK=1 unless set otherwise).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 tests/notebooks/*.test.ts

#!/usr/bin/env bash
# Distributed grading suite: a real redis-server (own port and data folder), real `optilab grade-worker`
# processes (one SIGKILLed mid-run) and sandboxed kernels; the gradebook must equal local grading.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
mapfile -t suites < <(ls tests/queue/*.suite.ts | sort)
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${suites[@]}"

#!/usr/bin/env bash
# Grader suite: sandboxed grading with real tslab kernels in bubblewrap (validate, grade, adversarial
# submissions, the graded labs, feedback in a browser). node:test with the spec reporter.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
mapfile -t suites < <(find tests/grader -name '*.suite.ts' | sort)
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${suites[@]}"

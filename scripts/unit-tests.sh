#!/usr/bin/env bash
# Prints the unit test files, one per line: every tests/**/*.test.ts that no suite in scripts/test.d runs
# (browser, notebook and exercise tests run in their own suites, so each test runs once).
set -euo pipefail
cd "$(dirname "$0")/.."
find tests -name '*.test.ts' -not -path 'tests/browser/*' -not -path 'tests/notebooks/*' -not -path 'tests/exercises/*' | sort

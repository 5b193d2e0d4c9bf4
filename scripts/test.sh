#!/usr/bin/env bash
# Installs everything, then runs the whole test suite: library unit tests, notebooks (quick mode), and every
# part's suite in scripts/test.d/NN-name.sh. Ends with one 'N passed, N failed, N skipped' line
# (cancelled tests count as failed).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
source scripts/env.sh
mkdir -p test-artifacts
passed=0; failed=0; skipped=0; suites_failed=()
source scripts/test-count.sh # count LOG: adds node:test's totals to passed, failed, skipped
run_suite() { # name, command...
  local name=$1; shift
  printf '\n== suite: %s\n' "$name"
  local log="test-artifacts/$name.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  count "$log"
  if [ "$rc" -ne 0 ]; then suites_failed+=("$name"); grep -aqE '^ℹ (fail|cancelled) [1-9]' "$log" || failed=$((failed + 1)); fi
}
export OPTILAB_QUICK=${OPTILAB_QUICK:-1}
mapfile -t unit < <(bash scripts/unit-tests.sh)
run_suite unit node --import tsx --test --test-reporter=spec --test-concurrency=2 "${unit[@]}"
for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  name=$(basename "$suite" .sh)
  run_suite "$name" bash "$suite"
done
echo
[ ${#suites_failed[@]} -eq 0 ] || echo "failed suites: ${suites_failed[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#suites_failed[@]} -eq 0 ] && [ "$failed" -eq 0 ]

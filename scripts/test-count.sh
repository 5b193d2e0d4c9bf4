# count LOG: adds the totals of node:test's spec reporter in LOG to the shell variables passed, failed and
# skipped (cancelled tests count as failed, todo as skipped). Sourced by scripts/test.sh.
count() {
  local p f c k
  p=$(grep -aE '^ℹ pass [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  f=$(grep -aE '^ℹ fail [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  c=$(grep -aE '^ℹ cancelled [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  k=$(grep -aE '^ℹ (skipped|todo) [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f + c)); skipped=$((skipped + k))
}

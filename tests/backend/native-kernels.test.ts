import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../../src/backend/wasm-conv-grad';
import { registerFastWasmKernels } from '../../src/backend/wasm-fast-kernels';
import { loadNative, nativeStatus, setNativeThreads } from '../../src/backend/native';
import { ADAM_STEP, nativeKernelRuns, registerNativeKernels, RELU_GRAD } from '../../src/backend/native-kernels';
import { adam } from '../../src/train/adam';
import { maxAbsDiff, onCpuAndWasm as onBoth, seededTensor as rand } from '../helpers';

// scripts/setup.sh builds the addon; without it these tests fail (OPTILAB_NATIVE=0 skips them on purpose).
const off = process.env.OPTILAB_NATIVE === '0';
const addon = loadNative();
registerWasmGradients();
registerFastWasmKernels();
if (addon) registerNativeKernels(addon);
const opts = { skip: off ? 'OPTILAB_NATIVE=0' : false };

test('the native addon is built and loads', opts, () => {
  assert.ok(addon, `native addon unavailable: ${nativeStatus().detail}`);
  assert.match(addon.version(), /^oneDNN \d+\.\d+/);
  assert.equal(addon.getThreads(), 1);
});

function close(cpu: Float32Array[], wasm: Float32Array[], tol: number, what: string) {
  cpu.forEach((c, i) => {
    const scale = Math.max(1, ...Array.from(c, Math.abs));
    assert.ok(maxAbsDiff(c, wasm[i]) <= tol * scale, `${what} [${i}] differs by ${maxAbsDiff(c, wasm[i])} (scale ${scale})`);
  });
}

/** Calls the native kernel and records that it ran (not a fallback), by asking the addon for its implementation. */
function implementation(kind: 0 | 1 | 2, x: number[], w: number[], stride: number, pad: 'same' | 'valid', dilation = 1): string {
  const info = tf.backend_util.computeConv2DInfo(x as never, w as never, stride, dilation, pad);
  const p = info.padInfo;
  const g = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth, info.outChannels, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, p.top, p.left, p.bottom, p.right];
  return addon!.convImplementation(kind, Int32Array.from(g));
}

const convCases: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['same 5x5 stride 1 (lenet conv1)', [3, 12, 12, 1], [5, 5, 1, 6], 1, 'same'],
  ['valid 5x5 stride 1 (lenet conv2)', [2, 10, 9, 6], [5, 5, 6, 4], 1, 'valid'],
  ['same 3x3 stride 1', [2, 8, 8, 5], [3, 3, 5, 7], 1, 'same'],
  ['same 3x3 stride 2, odd size', [2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'],
  ['valid 3x3 stride 2, a trailing row unread', [3, 10, 8, 2], [3, 3, 2, 5], 2, 'valid'],
  ['same 2x2 stride 1 (asymmetric padding)', [2, 6, 7, 2], [2, 2, 2, 3], 1, 'same'],
  ['valid 4x4 stride 2, even', [2, 12, 12, 16], [4, 4, 16, 8], 2, 'valid'],
];

for (const [name, xShape, wShape, stride, pad] of convCases) {
  test(`native Conv2D forward and gradients match cpu: ${name}`, opts, async () => {
    const kinds = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
    const before = kinds.map(nativeKernelRuns);
    const [cpu, wasm] = await onBoth(() => {
      const x = rand(xShape, 1) as tf.Tensor4D;
      const w = rand(wShape, 2) as tf.Tensor4D;
      const y = tf.conv2d(x, w, stride, pad);
      const upstream = rand(y.shape, 3);
      const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, stride, pad), upstream)))([x, w]);
      return [y, dx, dw];
    });
    close(cpu, wasm, 2e-5, name);
    // forward twice (y, and again inside tf.grads), each gradient once
    assert.deepEqual(kinds.map(nativeKernelRuns), before.map((n, i) => n + (i === 0 ? 2 : 1)), `${kinds.join(', ')} ran on the addon`);
    for (const kind of [0, 1, 2] as const) assert.ok(implementation(kind, xShape, wShape, stride, pad).length > 0);
  });
}

test('native Conv2D with dilation 2 matches cpu', opts, async () => {
  const before = nativeKernelRuns('Conv2D');
  const [cpu, wasm] = await onBoth(() => tf.conv2d(rand([2, 9, 9, 3], 4) as tf.Tensor4D, rand([3, 3, 3, 2], 5) as tf.Tensor4D, 1, 'same', 'NHWC', 2));
  close(cpu, wasm, 2e-5, 'dilated conv');
  assert.equal(nativeKernelRuns('Conv2D'), before + 1, 'ran on the addon');
});

for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
  test(`native BatchMatMul transposeA=${ta} transposeB=${tb} matches cpu (2-D, batched, broadcast)`, opts, async () => {
    const before = nativeKernelRuns('BatchMatMul');
    const [cpu, wasm] = await onBoth(() => [
      tf.matMul(rand(ta ? [70, 50] : [50, 70], 1), rand(tb ? [30, 70] : [70, 30], 2), ta, tb),
      tf.matMul(rand(ta ? [3, 7, 5] : [3, 5, 7], 3), rand(tb ? [3, 4, 7] : [3, 7, 4], 4), ta, tb),
      tf.matMul(rand(ta ? [1, 7, 5] : [1, 5, 7], 5), rand(tb ? [3, 4, 7] : [3, 7, 4], 6), ta, tb),
    ]);
    close(cpu, wasm, 1e-5, 'matMul');
    assert.equal(nativeKernelRuns('BatchMatMul'), before + 3, 'all three products ran on the addon');
  });
}

// Inference runs tfjs-layers' fused ops: conv / dense with bias and activation in one kernel.
const fusedCases: [string, number[], number[], number, 'same' | 'valid', number][] = [
  ['same 5x5 stride 1 (lenet conv1), batch 3', [3, 12, 12, 1], [5, 5, 1, 6], 1, 'same', 1],
  ['valid 3x3 stride 2, odd size', [2, 9, 9, 3], [3, 3, 3, 4], 2, 'valid', 1],
  ['same 3x3 stride 1, dilation 2', [2, 8, 8, 5], [3, 3, 5, 7], 1, 'same', 2],
  ['same 2x2 stride 1 (asymmetric padding), batch 5', [5, 6, 7, 2], [2, 2, 2, 3], 1, 'same', 1],
];
for (const [name, xShape, wShape, stride, pad, dilation] of fusedCases) {
  for (const activation of ['linear', 'relu', 'relu6'] as const) {
    for (const withBias of [true, false]) {
      test(`native FusedConv2D matches cpu: ${name}, ${activation}${withBias ? ' + bias' : ''}`, opts, async () => {
        const before = nativeKernelRuns('FusedConv2D');
        const [cpu, wasm] = await onBoth(() => {
          const x = tf.mul(rand(xShape, 21), 4) as tf.Tensor4D; // large enough for relu6 to clip
          const bias = withBias ? (rand([wShape[3]], 23) as tf.Tensor1D) : undefined;
          return tf.fused.conv2d({ x, filter: rand(wShape, 22) as tf.Tensor4D, strides: stride, pad, dilations: dilation, bias, activation });
        });
        close(cpu, wasm, 2e-5, name);
        assert.equal(nativeKernelRuns('FusedConv2D'), before + 1, 'ran on the addon, not the wasm fallback');
      });
    }
  }
}

for (const [ta, tb] of [[false, false], [false, true], [true, false]]) {
  test(`native _FusedMatMul with bias and relu / relu6 / linear matches cpu (transposeA=${ta}, transposeB=${tb})`, opts, async () => {
    const before = nativeKernelRuns('_FusedMatMul');
    const [cpu, wasm] = await onBoth(() =>
      (['relu', 'relu6', 'linear'] as const).flatMap((activation) => [
        tf.fused.matMul({ a: tf.mul(rand(ta ? [37, 19] : [19, 37], 31), 3) as tf.Tensor2D, b: rand(tb ? [11, 37] : [37, 11], 32) as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: rand([11], 33), activation }),
        tf.fused.matMul({ a: rand(ta ? [2, 9, 5] : [2, 5, 9], 34) as tf.Tensor3D, b: rand(tb ? [2, 4, 9] : [2, 9, 4], 35) as tf.Tensor3D, transposeA: ta, transposeB: tb, activation }),
      ]),
    );
    close(cpu, wasm, 1e-5, 'fused matMul');
    assert.equal(nativeKernelRuns('_FusedMatMul'), before + 6);
  });
}

test('fused ops the epilogue does not run (sigmoid, leaky relu) go to the wasm kernel and still match', opts, async () => {
  const before = nativeKernelRuns('FusedConv2D') + nativeKernelRuns('_FusedMatMul');
  const [cpu, wasm] = await onBoth(() => [
    tf.fused.conv2d({ x: rand([2, 6, 6, 2], 41) as tf.Tensor4D, filter: rand([3, 3, 2, 3], 42) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([3], 43), activation: 'sigmoid' }),
    tf.fused.matMul({ a: rand([4, 6], 44) as tf.Tensor2D, b: rand([6, 3], 45) as tf.Tensor2D, bias: rand([3], 46), activation: 'sigmoid' }),
    tf.fused.matMul({ a: rand([4, 6], 47) as tf.Tensor2D, b: rand([6, 3], 48) as tf.Tensor2D, activation: 'leakyrelu', leakyreluAlpha: 0.1 }),
  ]);
  close(cpu, wasm, 1e-5, 'fallbacks');
  assert.equal(nativeKernelRuns('FusedConv2D') + nativeKernelRuns('_FusedMatMul'), before);
});

test('the ReLU gradient runs as one native kernel on wasm and matches cpu (zeros and ties at 0 included)', opts, async () => {
  const before = nativeKernelRuns(RELU_GRAD);
  const [cpu, wasm] = await onBoth(() => {
    const x = tf.concat([tf.reshape(rand([3, 5, 7, 4], 51), [-1]), tf.zeros([9]), tf.fill([5], -0)]);
    const upstream = rand(x.shape, 52);
    // through a conv + relu as in training, and on its own
    const w = rand([3, 3, 4, 6], 53) as tf.Tensor4D;
    const img = rand([2, 6, 6, 4], 54) as tf.Tensor4D;
    const dConv = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.conv2d(t as tf.Tensor4D, w, 1, 'same')), rand([2, 6, 6, 6], 55))))(img);
    return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), upstream)))(x), dConv];
  });
  close(cpu, wasm, 1e-5, 'relu gradient');
  assert.equal(nativeKernelRuns(RELU_GRAD), before + 2, 'both gradients took the fused kernel');
});

test('ReLU forward runs natively on wasm and gives cpu\'s values exactly (zeros, -0, odd sizes, large arrays on 2 threads)', opts, async () => {
  const before = nativeKernelRuns('Relu');
  const cases = () => [
    tf.relu(tf.concat([tf.reshape(rand([3, 5, 7], 56), [-1]), tf.zeros([3]), tf.fill([4], -0), tf.fill([2], -1e-30)])),
    tf.relu(rand([2, 9, 11, 5], 57)),
  ];
  const [cpu, wasm] = await onBoth(cases);
  close(cpu, wasm, 0, 'relu');
  assert.equal(nativeKernelRuns('Relu'), before + 2);
  try {
    setNativeThreads(2);
    const [cpuBig, wasmBig] = await onBoth(() => [tf.relu(rand([7, 131, 97], 58))]); // > 65536 values: split over threads
    close(cpuBig, wasmBig, 0, 'relu on 2 threads');
  } finally {
    setNativeThreads(1);
  }
  assert.equal(nativeKernelRuns('Relu'), before + 3);
});

test('a bias Add ([..., C] + [C], either order) runs natively and matches cpu; other Adds go to the wasm kernel', opts, async () => {
  const before = nativeKernelRuns('Add');
  const [cpu, wasm] = await onBoth(() => [
    tf.add(rand([3, 5, 4, 7], 61), rand([7], 62)),
    tf.add(rand([9], 63), rand([6, 9], 64)),
  ]);
  close(cpu, wasm, 1e-6, 'bias add');
  assert.equal(nativeKernelRuns('Add'), before + 2);
  const [cpu2, wasm2] = await onBoth(() => [
    tf.add(rand([4, 6], 65), rand([4, 6], 66)),
    tf.add(rand([4, 6], 67), tf.scalar(2)),
    tf.add(rand([4, 6], 68), rand([4, 1], 69)),
    tf.add(tf.ones([2, 3], 'int32'), tf.ones([3], 'int32')),
  ]);
  close(cpu2, wasm2, 1e-6, 'other adds');
  assert.equal(nativeKernelRuns('Add'), before + 2, 'none of them took the bias path');
});

const poolCases: [string, number[], number, number, 'same' | 'valid'][] = [
  ['2x2 stride 2 valid', [2, 8, 8, 3], 2, 2, 'valid'],
  ['2x2 stride 2 same, odd size', [3, 7, 7, 2], 2, 2, 'same'],
  ['3x3 stride 2 same (overlapping windows)', [2, 9, 9, 2], 3, 2, 'same'],
  ['3x3 stride 1 valid', [2, 6, 6, 1], 3, 1, 'valid'],
];
for (const [name, shape, size, stride, pad] of poolCases) {
  test(`native MaxPool matches cpu: ${name}, batch ${shape[0]}`, opts, async () => {
    const before = nativeKernelRuns('MaxPool');
    const [cpu, wasm] = await onBoth(() => [tf.maxPool(rand(shape, 7) as tf.Tensor4D, size, stride, pad), tf.maxPool(tf.neg(rand(shape, 6)) as tf.Tensor4D, size, stride, pad)]);
    close(cpu, wasm, 0, 'maxPool');
    assert.equal(nativeKernelRuns('MaxPool'), before + 2);
  });
  for (const ties of [false, true]) {
    test(`native MaxPoolGrad matches cpu: ${name}${ties ? ', with ties' : ''}`, opts, async () => {
      const before = nativeKernelRuns('MaxPoolGrad');
      const [cpu, wasm] = await onBoth(() => {
        const x = rand(shape, 8, ties);
        const upstream = rand(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 9);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), upstream)))(x);
      });
      close(cpu, wasm, 1e-6, 'dx');
      assert.equal(nativeKernelRuns('MaxPoolGrad'), before + 1, 'ran on the addon');
    });
  }
}

test('native Sum over the leading axes (bias gradients) matches cpu; other reductions still work', opts, async () => {
  const before = nativeKernelRuns('Sum');
  const [cpu, wasm] = await onBoth(() => {
    const x = rand([4, 6, 5, 3], 10);
    return [tf.sum(x, [0, 1, 2]), tf.sum(x, [2, 1, 0], true), tf.sum(rand([64, 10], 11), 0), tf.sum(x, 3), tf.sum(x, [0, 2]), tf.sum(x)];
  });
  assert.deepEqual(wasm.map((a) => a.length), [3, 3, 10, 120, 18, 1]);
  close(cpu, wasm, 1e-5, 'sum');
  assert.equal(nativeKernelRuns('Sum'), before + 3, 'the three leading-axes sums ran on the addon, the other three on wasm');
});

test('fused Adam gives the same bits as tfjs Adam on wasm, and matches it on cpu', opts, async () => {
  const run = async (backend: string, make: () => tf.Optimizer) => {
    await tf.setBackend(backend);
    const w = tf.variable(rand([37, 11], 12));
    const b = tf.variable(rand([11], 13));
    const opt = make();
    for (let step = 0; step < 7; step++) {
      (opt as unknown as { learningRate: number }).learningRate = 0.01 / (step + 1);
      const g = { [w.name]: tf.mul(rand([37, 11], 20 + step), step + 1), [b.name]: rand([11], 40 + step) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
    }
    const out = [w.dataSync().slice(), b.dataSync().slice()] as Float32Array[];
    const state = await opt.getWeights();
    assert.equal(state.length, 5, 'iterations + 2 first moments + 2 second moments');
    tf.dispose([w, b]);
    opt.dispose();
    return out;
  };
  const reference = await run('wasm', () => tf.train.adam(0.01));
  const before = nativeKernelRuns(ADAM_STEP);
  const fused = await run('wasm', () => adam(0.01));
  assert.equal(nativeKernelRuns(ADAM_STEP), before + 2 * 7, 'one native step per variable and iteration');
  reference.forEach((r, i) => assert.deepEqual(Array.from(fused[i]), Array.from(r), `variable ${i}`));
  const cpu = await run('cpu', () => adam(0.01));
  close(cpu, fused, 1e-6, 'adam on cpu');
});

test('on 2 threads, fused Adam (a variable past the threading threshold) and MaxPoolGrad give the same bits as on 1', opts, async () => {
  await tf.setBackend('wasm');
  const once = () => {
    const w = tf.variable(rand([301, 257], 14));
    const opt = adam(0.01);
    for (let step = 0; step < 3; step++) {
      const g = [{ name: w.name, tensor: rand([301, 257], 30 + step) }];
      opt.applyGradients(g);
      tf.dispose(g.map((e) => e.tensor));
    }
    const x = rand([5, 17, 13, 6], 15, true);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'), rand([5, 9, 7, 6], 16))))(x);
    const out = [w.dataSync().slice(), dx.dataSync().slice()] as Float32Array[];
    tf.dispose([w, x, dx]);
    opt.dispose();
    return out;
  };
  const reference = tf.tidy(() => {
    const w = tf.variable(rand([301, 257], 14));
    const opt = tf.train.adam(0.01);
    for (let step = 0; step < 3; step++) opt.applyGradients([{ name: w.name, tensor: rand([301, 257], 30 + step) }]);
    const out = w.dataSync().slice();
    w.dispose();
    opt.dispose();
    return out;
  });
  const one = once();
  let two: Float32Array[];
  try {
    setNativeThreads(2);
    two = once();
  } finally {
    setNativeThreads(1);
  }
  assert.deepEqual(Array.from(one[0]), Array.from(reference), 'fused Adam on 1 thread = tfjs Adam');
  assert.deepEqual(Array.from(two[0]), Array.from(reference), 'fused Adam on 2 threads = tfjs Adam');
  assert.deepEqual(Array.from(two[1]), Array.from(one[1]), 'MaxPoolGrad on 2 threads = on 1');
});

test('Identity shares the buffer: each copy stays valid until the last one is disposed', opts, async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numBytes;
  const x = rand([3, 5], 50);
  const values = Array.from(x.dataSync());
  const y = tf.clone(x); // the Identity kernel
  const z = tf.clone(y);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), values);
  y.dispose();
  assert.deepEqual(Array.from(await z.data()), values);
  const w = tf.add(z, 1);
  assert.deepEqual(Array.from(w.dataSync()), values.map((v) => Math.fround(v + 1)));
  tf.dispose([z, w]);
  assert.equal(tf.memory().numBytes, before);
});

test('native kernels survive signals arriving mid-kernel (profiler sampling)', opts, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prof-'));
  try {
    const script = path.join(__dirname, 'fixtures', 'native-under-signals.ts');
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', '--import', 'tsx', script, '1500'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}: ${r.stderr.slice(-500)}`);
    assert.match(r.stdout, /rounds \d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

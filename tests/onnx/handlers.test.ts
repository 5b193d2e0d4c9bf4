import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { LAYER_EXPORTERS } from '../../src/onnx/export-layers';
import { exportOnnx } from '../../src/onnx/export';
import { OP_IMPORTERS } from '../../src/onnx/import-ops';
import { importOnnx } from '../../src/onnx/import';
import { DT, node, valueInfo, tensor } from '../../src/onnx/proto';
import { setupBackend } from '../helpers';

test.before(setupBackend);

/** The class names an error message lists ("supports A, B and C layers"). */
function listed(message: string, after: RegExp, before: RegExp): string[] {
  const part = message.split(after)[1].split(before)[0];
  return part.split(/, | and /).map((s) => s.trim()).sort();
}

test('the exporter table has one handler per layer class its error message lists, and no other', () => {
  const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 1 }), tfl.layers.layerNormalization({})] });
  const err = (() => {
    try {
      exportOnnx(model);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.match(err, /LayerNormalization/);
  assert.deepEqual(listed(err, /supports /, / layers, not/), Object.keys(LAYER_EXPORTERS).sort());
});

test('the importer table has one handler per operator its error message lists (Constant apart), and no other', () => {
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [node('Sigmoid', ['x'], ['y'], 'sig')],
      initializer: [tensor('unused', DT.FLOAT, [1], Float32Array.of(0))],
      input: [valueInfo('x', DT.FLOAT, [1, 1, 8, 8])],
      output: [valueInfo('y', DT.FLOAT, [1, 1, 8, 8])],
    },
  };
  assert.throws(() => importOnnx(model as never), (e: Error) => {
    const ops = listed(e.message, /supported: /, /\)$/).filter((o) => o !== 'Constant');
    assert.deepEqual(ops, Object.keys(OP_IMPORTERS).sort());
    return /'sig' \(Sigmoid\)/.test(e.message);
  });
});

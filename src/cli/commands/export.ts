import * as fs from 'fs';
import * as path from 'path';
import { Command, oneOf, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { initBackend } from '../../backend';
import { DatasetName, loadDataset } from '../../data/files';
import { loadModel } from '../../models/files';
import { buildPtqPlan } from '../../quantize/model';
import { exportOnnx } from '../../onnx/export';
import { inspectOnnx } from '../../onnx/inspect';
import { checkOnnxFile, hasPythonOnnx } from '../../onnx/check';
import { budgetReport, cIdentifier, exportTflite, inspectTflite, toCArray } from '../../tflite';

export const command: Command = {
  name: 'export',
  summary: 'export a saved model to ONNX or TFLite / a microcontroller C array (fp32, or int8 from optilab PTQ)',
  usage: `usage: optilab export --model <dir> --format onnx|tflite|c-array --out <file> [--int8 [--calibration N] [--dataset mnist|fashion-mnist]] [--check]

  --format tflite  a .tflite flatbuffer (fp32; with --int8 full-integer: int8 weights per channel, int8
                   activations per tensor, int8 input and output)
  --format c-array <out>.h and <out>.cc with the .tflite bytes as an aligned const unsigned char array (as
                   xxd -i), and a flash / tensor-arena budget against named microcontrollers

Writes an ONNX (opset 13) graph of a model saved by \`optilab train --out <dir>\`.
  --int8           int8 QDQ graph: per-channel symmetric int8 weights, per-tensor activations calibrated on
                   the first N training images (optilab PTQ, min/max)
  --calibration N  calibration images for --int8 (default 500)
  --check          run the official checker (onnx.checker, full_check) through /usr/bin/python3`,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { model: 'string', format: 'string', out: 'string', int8: 'boolean', calibration: 'int', dataset: 'string', check: 'boolean' });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!flags.model) throw new UsageError('--model <dir> is required (a folder written by `optilab train --out <dir>`)');
    if (!flags.out) throw new UsageError('--out <file> is required');
    const format = oneOf('format', flags.format ?? 'onnx', ['onnx', 'tflite', 'c-array']) ?? 'onnx';
    if (flags.check && format !== 'onnx') throw new UsageError('--check applies to --format onnx only');
    const calibration = positiveInt('calibration', flags.calibration);
    if (calibration !== undefined && !flags.int8) throw new UsageError('--calibration only applies with --int8');
    const dataset = oneOf<DatasetName>('dataset', flags.dataset, ['mnist', 'fashion-mnist']) ?? 'mnist';
    if (flags.check && !hasPythonOnnx()) throw new UsageError("--check needs /usr/bin/python3 with Debian's python3-onnx (apt-get install python3-onnx)");
    await initBackend();
    const model = await loadModel(String(flags.model));
    let plan;
    if (flags.int8) {
      const n = calibration ?? 500;
      const progress = createProgress(`calibrate int8 on ${dataset}`);
      // limit: n, or calibration would stop at its default of 1000 images whatever --calibration says
      plan = await buildPtqPlan(model, { bits: 8 }, loadDataset(dataset, { split: 'train', limit: n }), {
        limit: n,
        onProgress: (done, total) => progress.update(done / total, `${done}/${total} images`),
      });
      progress.done(`${n} images`);
    }
    const out = String(flags.out);
    if (format !== 'onnx') {
      const tfl = exportTflite(model, { plan });
      const kind = flags.int8 ? `full-integer int8 (calibrated on ${calibration ?? 500} ${dataset} train images)` : 'fp32';
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      const ops = Object.entries(inspectTflite(tfl).operators).map(([op, n]) => `${op}×${n}`).join(' ');
      if (format === 'tflite') {
        fs.writeFileSync(out, tfl);
        console.log(`${out}: ${(tfl.length / 1024).toFixed(1)} KiB, ${kind}, ${ops}`);
      } else {
        const base = out.replace(/\.(h|cc|c)$/, '');
        const headerName = `${path.basename(base)}.h`;
        const c = toCArray(tfl, cIdentifier(path.basename(base)), headerName);
        fs.writeFileSync(`${base}.h`, c.header);
        fs.writeFileSync(`${base}.cc`, c.source);
        console.log(`${base}.h, ${base}.cc: array ${c.symbol} (${tfl.length} bytes, ${kind}), ${ops}`);
      }
      console.log(budgetReport(tfl).text);
      return 0;
    }
    const bytes = exportOnnx(model, { plan });
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, bytes);
    const s = inspectOnnx(bytes);
    const ops = Object.entries(s.operators).map(([op, n]) => `${op}×${n}`).join(' ');
    console.log(`${out}: ${(bytes.length / 1024).toFixed(1)} KiB, ${flags.int8 ? `int8 QDQ (calibrated on ${calibration ?? 500} ${dataset} train images)` : 'fp32'}, opset ${s.opset}, ${s.nodes} nodes: ${ops}`);
    if (flags.check) console.log(`onnx.checker (full_check): ${checkOnnxFile(out)}`);
    return 0;
  },
};

/**
 * The official ONNX checker (`onnx.checker.check_model(model, full_check=True)`, which also runs strict shape
 * inference), run through Debian's python3-onnx. Node-only; needs `/usr/bin/python3` with the `onnx` module.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

/** The Python interpreter that has Debian's python3-onnx (not a pyenv / venv python on PATH). */
export const SYSTEM_PYTHON = process.env.OPTILAB_SYSTEM_PYTHON ?? '/usr/bin/python3';

const CHECK = [
  'import sys, onnx',
  'm = onnx.load(sys.argv[1])',
  'onnx.checker.check_model(m, full_check=True)',
  "print('ok opset', m.opset_import[0].version, 'nodes', len(m.graph.node))",
].join('\n');

/**
 * True when `SYSTEM_PYTHON` can import onnx.
 *
 * @example
 * if (hasPythonOnnx()) checkOnnxFile('m.onnx');
 */
export function hasPythonOnnx(): boolean {
  if (!fs.existsSync(SYSTEM_PYTHON)) return false;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Runs the official checker with full_check on an .onnx file; throws with the checker's message when the
 * model is invalid, returns its summary line otherwise.
 *
 * @example
 * checkOnnxFile('mnistCnn.int8.onnx'); // 'ok opset 13 nodes 31'
 */
export function checkOnnxFile(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  if (!fs.existsSync(SYSTEM_PYTHON)) throw new Error(`${SYSTEM_PYTHON} does not exist: install Debian's python3-onnx (apt-get install python3-onnx)`);
  const r = spawnSync(SYSTEM_PYTHON, ['-c', CHECK, file], { encoding: 'utf8' });
  if (r.status !== 0) {
    const err = (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join('\n');
    if (/No module named 'onnx'/.test(err)) throw new Error(`${SYSTEM_PYTHON} has no onnx module: install Debian's python3-onnx (apt-get install python3-onnx)`);
    throw new Error(`onnx.checker rejects ${file}: ${err}`);
  }
  return r.stdout.trim();
}

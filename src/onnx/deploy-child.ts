/**
 * Child process of `deployBench`: measures one ONNX model and prints one JSON line
 * ({ ok: true, stats } or { ok: false, error }). Not part of the public API.
 */
import { measureOnnxModel } from './deploy';

async function main(): Promise<void> {
  const { file, opts } = JSON.parse(process.argv[2] ?? '{}');
  try {
    const stats = await measureOnnxModel(file, opts);
    process.stdout.write(`${JSON.stringify({ ok: true, stats })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`);
  }
}

if (require.main === module) void main();

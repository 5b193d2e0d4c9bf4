import * as fs from 'fs';
import * as path from 'path';
import { Command, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { deployBench, formatDeployTable } from '../../onnx/deploy';

export const command: Command = {
  name: 'deploy-bench',
  summary: 'measure ONNX models under onnxruntime-node: size, load, latency p50/p99, throughput, memory',
  usage: `usage: optilab deploy-bench <model.onnx> [more.onnx ...] [--threads N] [--runs N] [--batch N] [--accuracy N] [--json]

Measures each model in its own process with ONNX Runtime (CPU) at a fixed thread count and prints a side-by-side
table (ratios against the first model):
  file size, session load time, latency p50 / p99 at batch 1, throughput at batch --batch, peak memory (max RSS).
  --threads N   intra-op threads (default 1)
  --runs N      timed batch-1 runs after 20 warm-up runs (default 300)
  --batch N     throughput batch size (default 256)
  --accuracy N  also report top-1 accuracy on the first N MNIST test images
  --json        print the measurements as JSON`,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { threads: 'int', runs: 'int', batch: 'int', accuracy: 'int', json: 'boolean' });
    if (!positionals.length) throw new UsageError('pass at least one .onnx file');
    for (const f of positionals) if (!fs.existsSync(f)) throw new UsageError(`${f} does not exist`);
    const opts = {
      threads: positiveInt('threads', flags.threads),
      runs: positiveInt('runs', flags.runs),
      batch: positiveInt('batch', flags.batch),
      accuracy: positiveInt('accuracy', flags.accuracy),
    };
    // progress on stderr, one step per measured model (each takes seconds), so --json output stays clean
    const progress = createProgress('deploy-bench');
    const measuring = (i: number) => `measuring ${path.basename(positionals[i])}`;
    progress.update(0, measuring(0));
    const rows = await deployBench(positionals, opts, (done, total, r) =>
      progress.update(done / total, done < total ? `${r.model}: p50 ${r.latencyP50Ms.toFixed(3)} ms; ${measuring(done)}` : `${r.model}: p50 ${r.latencyP50Ms.toFixed(3)} ms`),
    ).catch((e) => {
      progress.clear(); // the error message starts on a clean line
      throw e;
    });
    progress.done(`${rows.length} model(s)`);
    if (flags.json) console.log(JSON.stringify(rows, null, 2));
    else console.log(formatDeployTable(rows));
    return 0;
  },
};

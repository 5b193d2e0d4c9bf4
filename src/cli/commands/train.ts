import { Command, oneOf, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { ZOO, ZooName } from '../../models/zoo';
import { initBackend } from '../../backend';
import { trainAndSave } from '../../train/cache';
import { DatasetName } from '../../data/files';

const usage = `usage: optilab train --model <name> --out <dir> [options]

Trains a zoo model on the training split, evaluates it on the full test split and saves
model.json + weights.bin + metrics.json to <dir>.

options:
  --model <name>          ${Object.keys(ZOO).join(' | ')} (required)
  --out <dir>             where to save the model (required)
  --epochs <n>            default 3
  --batch-size <n>        default 64
  --learning-rate <x>     Adam peak learning rate, cosine-decayed; default 0.002
  --limit <n>             train on the first n training images
  --seed <s>              default 0
  --dataset <name>        mnist | fashion-mnist (default mnist)
  --workers <n>           data-parallel worker threads (default 1)`;

export const command: Command = {
  name: 'train',
  summary: 'train a zoo model and save it with its metrics',
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, {
      model: 'string', out: 'string', epochs: 'int', 'batch-size': 'int', 'learning-rate': 'number', limit: 'int', seed: 'int', dataset: 'string', workers: 'int',
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!flags.model) throw new UsageError('--model is required');
    const model = oneOf('model', flags.model, Object.keys(ZOO) as ZooName[])!;
    if (!flags.out) throw new UsageError('--out is required (a folder to save the trained model in)');
    const lr = flags['learning-rate'] as number | undefined;
    if (lr !== undefined && !(lr > 0)) throw new UsageError(`--learning-rate must be positive, got ${lr}`);
    const config = {
      model,
      dataset: oneOf<DatasetName>('dataset', flags.dataset, ['mnist', 'fashion-mnist']) ?? 'mnist',
      epochs: positiveInt('epochs', flags.epochs) ?? 3,
      batchSize: positiveInt('batch-size', flags['batch-size']) ?? 64,
      learningRate: lr ?? 2e-3,
      seed: (flags.seed as number | undefined) ?? 0,
      limit: positiveInt('limit', flags.limit),
      workers: positiveInt('workers', flags.workers),
    };
    const backend = await initBackend();
    console.log(`training ${model} on ${config.dataset} (${config.limit ?? 'all'} images, ${config.epochs} epochs, batch ${config.batchSize}, seed ${config.seed}) on ${backend}${config.workers && config.workers > 1 ? ` with ${config.workers} workers` : ''}`);
    const progress = createProgress(`train ${model}`);
    const { metrics } = await trainAndSave(config, String(flags.out), (p) =>
      progress.update(p.fraction, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(0)} img/s`),
    );
    progress.done();
    for (const e of metrics.epochs) {
      console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train accuracy ${(e.trainAccuracy * 100).toFixed(2)}%, ${e.seconds.toFixed(1)} s`);
    }
    console.log(`test accuracy ${(metrics.test.accuracy * 100).toFixed(2)}% on ${metrics.test.count} images; trained in ${metrics.trainSeconds.toFixed(1)} s (${metrics.trainImagesPerSecond.toFixed(0)} img/s)`);
    console.log(`saved to ${flags.out}`);
    return 0;
  },
};

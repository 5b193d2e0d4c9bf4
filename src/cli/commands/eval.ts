import { Command, oneOf, parseArgs, positiveInt, UsageError } from '../command';
import { createProgress } from '../progress';
import { initBackend } from '../../backend';
import { DatasetName, loadDataset } from '../../data/files';
import { loadModel } from '../../models/files';
import { evaluate } from '../../train/train';

export const command: Command = {
  name: 'eval',
  summary: 'evaluate a saved model on the test split',
  usage: `usage: optilab eval --model <dir> [--dataset mnist|fashion-mnist] [--limit N] [--json]

Prints accuracy, loss and the confusion matrix of a model saved by \`optilab train\`.`,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { model: 'string', dataset: 'string', limit: 'int', json: 'boolean' });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!flags.model) throw new UsageError('--model <dir> is required (a folder written by `optilab train`)');
    const dataset = oneOf<DatasetName>('dataset', flags.dataset, ['mnist', 'fashion-mnist']) ?? 'mnist';
    const limit = positiveInt('limit', flags.limit);
    await initBackend();
    const model = await loadModel(String(flags.model));
    const data = loadDataset(dataset, { split: 'test', limit });
    // progress on stderr (one step per evaluation batch), so --json output stays clean
    const progress = createProgress(`eval ${dataset}`);
    const { predictions: _p, ...result } = await evaluate(model, data, undefined, (done, total) => progress.update(done / total, `${done}/${total} images`));
    progress.done(`${result.count} images`);
    if (flags.json) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    console.log(`${flags.model} on ${dataset} test (${result.count} images): accuracy ${(result.accuracy * 100).toFixed(2)}%, loss ${result.loss.toFixed(4)}`);
    console.log('confusion matrix (rows: true class, columns: predicted):');
    console.log('      ' + result.confusion.map((_, c) => String(c).padStart(5)).join(''));
    result.confusion.forEach((row, r) => console.log(String(r).padStart(5) + ' ' + row.map((v) => String(v).padStart(5)).join('')));
    return 0;
  },
};

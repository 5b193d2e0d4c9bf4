/**
 * `npm run bench -- transformer [--quick] [--eval-tokens=N] [--distill-steps=N]`: the transformer track measured.
 * tinyGpt (the full preset: 4 layers, 4 heads, width 128, context 128, 2,000 steps of 32 windows; --quick: the
 * quick preset) is trained on the KJV through trainTinyGptCached (trained once per build, then loaded), then:
 * - quantization: validation perplexity and bytes of every method of perplexityVsBits (fp32, RTN int8/int4 at
 *   group 128 and 32, GPTQ and AWQ int4 g128, the MX formats, W8A8 plain and SmoothQuant, KV-cache int8/int4);
 * - outliers: per linear layer, the largest input channel's abs-max over the median channel's, on the trained
 *   model and after injectActivationOutliers (a function-preserving change that makes outlier channels), where
 *   W8A8 is measured again plain and with SmoothQuant;
 * - sparsity: magnitude and Wanda, unstructured and 2:4 (perplexityVsSparsity), and heads removed;
 * - distillation: a narrower student (width 64) trained with the teacher's soft targets against the same student
 *   trained on the labels alone, at equal steps;
 * - ONNX: fp32 and weight-only int8 exports run under onnxruntime-node, perplexity against tfjs.
 * Perplexities are on the first --eval-tokens validation tokens (default 65,536), the same for every row.
 */
import { initBackend } from '../src/backend';
import { loadKjv } from '../src/data/kjv';
import { createGptSession, exportTinyGptOnnx, gptInt8Weights, onnxPerplexity } from '../src/onnx/export-gpt';
import {
  activationChannelStats, distillTinyGpt, gptSummary, injectActivationOutliers, perplexityVsBits, perplexityVsHeadsRemoved,
  perplexityVsSparsity, tinyGpt, trainTinyGpt, TINY_GPT_QUICK, type SweepEntry,
} from '../src/transformer';
import { trainTinyGptCached } from '../src/transformer/cache';
import type { BenchReport, Cell } from './harness';

function arg(args: string[], name: string, fallback: string): string {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

const log = (s: string) => process.stderr.write(`transformer: ${s}\n`);

export async function run(args: string[]): Promise<BenchReport> {
  const quick = args.includes('--quick');
  const evalTokens = Number(arg(args, 'eval-tokens', '65536'));
  const distillSteps = Number(arg(args, 'distill-steps', quick ? '300' : '800'));
  await initBackend();
  const corpus = loadKjv();
  const validation = corpus.validation.subarray(0, evalTokens);
  const evalOpts = { maxTokens: evalTokens };
  log(`${corpus.train.length} training and ${corpus.validation.length} validation characters; evaluating on ${validation.length}`);

  const t0 = performance.now();
  const trained = await trainTinyGptCached(corpus, { quick, onProgress: (p) => p.step % 100 === 0 && log(`train step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}`) });
  const { model, result } = trained;
  const summary = gptSummary(model.config);
  const fp32 = model.getWeights();
  const base = model.evaluate(validation, evalOpts);
  log(`model ${trained.cached ? 'loaded from' : 'trained into'} ${trained.dir} (${((performance.now() - t0) / 1000).toFixed(0)} s): perplexity ${base.perplexity.toFixed(3)}`);
  const rows: Record<string, Cell>[] = [];
  rows.push({ section: 'model', name: `tinyGpt ${model.config.nLayers}x${model.config.nHeads}x${model.config.dModel} ctx ${model.config.contextLength}`, perplexity: base.perplexity, bpc: base.bitsPerChar, bytes: 4 * model.parameterCount(), detail: `${model.parameterCount()} parameters, ${summary.totalMacsPerToken} MACs per token; ${result.steps} steps in ${result.seconds.toFixed(0)} s (${result.tokensPerSecond.toFixed(0)} tokens/s)${trained.cached ? ', loaded from the cache' : ''}` });

  // Quantization, LLM style.
  const sweep = perplexityVsBits(model, { calibration: corpus.train, validation, eval: evalOpts, onRow: (r) => log(`quantization ${r.method} ${r.bits}: ${r.perplexity.toFixed(3)}`) });
  for (const r of sweep) rows.push({ section: 'quantization', name: r.method, bits: r.bits, groupSize: r.groupSize, perplexity: r.perplexity, bpc: r.nll / Math.LN2, bytes: r.bytes, detail: `${r.bitsPerWeight.toFixed(2)} bits per linear weight; KV cache ${r.kvBytesPerToken} B/token` });

  // Where outliers live: the trained model, then with injected outlier channels (same function).
  const stats = activationChannelStats(model, corpus.train, { maxTokens: 2048 });
  for (const s of stats) rows.push({ section: 'outliers', name: s.name, detail: `max/median channel abs-max ${s.maxOverMedian.toFixed(1)}; outlier channels (> 6x median): ${s.outliers.length ? s.outliers.slice(0, 6).join(', ') : 'none'}`, ratio: s.maxOverMedian });
  // two residual channels (the second from the upper half, so both presets have it)
  const injected = { channels: [5, Math.floor((3 * model.config.dModel) / 5)], factor: 30 };
  injectActivationOutliers(model, injected);
  const w8a8Entries: SweepEntry[] = [{ method: 'fp32' }, { method: 'w8a8' }, { method: 'w8a8', smoothAlpha: 0.5 }, { method: 'w8a8', smoothAlpha: 0.8 }];
  const injectedRows = perplexityVsBits(model, { calibration: corpus.train, validation, eval: evalOpts, entries: w8a8Entries });
  const injectedStats = activationChannelStats(model, corpus.train, { maxTokens: 2048 });
  for (const [i, r] of injectedRows.entries()) {
    const alpha = (w8a8Entries[i] as { smoothAlpha?: number }).smoothAlpha;
    rows.push({ section: 'outliers-injected', name: `${r.method}${alpha !== undefined ? ` alpha ${alpha}` : ''}`, bits: r.bits, perplexity: r.perplexity, bpc: r.nll / Math.LN2, bytes: r.bytes, detail: `channels ${injected.channels.join(', ')} x${injected.factor} at every LayerNorm (function unchanged); largest max/median ${Math.max(...injectedStats.map((s) => s.maxOverMedian)).toFixed(0)}` });
  }
  model.setWeights(fp32);

  // Sparsity and heads.
  const sparse = perplexityVsSparsity(model, corpus.train, validation, { sparsities: [0, 0.25, 0.5, 0.6, 0.7], evalTokens });
  for (const r of sparse) rows.push({ section: 'sparsity', name: `${r.method} ${r.pattern}`, sparsity: r.actualSparsity, perplexity: r.perplexity, bpc: r.bitsPerChar });
  const heads = perplexityVsHeadsRemoved(model, corpus.train, validation, [0, 1, 2, 4, 8].filter((k) => k <= model.config.nLayers * model.config.nHeads), { evalTokens, method: 'loss' });
  for (const r of heads) rows.push({ section: 'heads', name: `${r.removed} of ${model.config.nLayers * model.config.nHeads} heads removed`, perplexity: r.perplexity, bpc: r.bitsPerChar, detail: r.heads.map((h) => `L${h.layer}H${h.head}`).join(' ') || '-' });
  model.setWeights(fp32);

  // Distillation into a narrower student, against the same student on labels alone (equal steps and seed).
  const studentShape = { ...model.config, dModel: quick ? 32 : 64, vocabSize: model.config.vocabSize, seed: 7 };
  const train = { train: corpus.train, validation };
  const distillOpts = { steps: distillSteps, batchSize: 32, lr: 3e-3, seed: 7, evalTokens };
  const distilled = tinyGpt(studentShape, TINY_GPT_QUICK);
  const dr = await distillTinyGpt(model, distilled, train, { ...distillOpts, temperature: 2, alpha: 0.5 });
  const scratch = tinyGpt(studentShape, TINY_GPT_QUICK);
  const sr = await trainTinyGpt(scratch, train, distillOpts);
  for (const [name, m, r] of [['student, distilled', distilled, dr], ['student, labels only', scratch, sr]] as const) {
    const loss = m.evaluate(validation, evalOpts);
    rows.push({ section: 'distillation', name, perplexity: loss.perplexity, bpc: loss.bitsPerChar, bytes: 4 * m.parameterCount(), detail: `${m.parameterCount()} parameters (teacher ${model.parameterCount()}), ${distillSteps} steps in ${r.seconds.toFixed(0)} s` });
  }

  // ONNX: fp32 and weight-only int8 under ONNX Runtime, against tfjs.
  for (const weights of ['fp32', 'int8'] as const) {
    const bytes = exportTinyGptOnnx(model, { weights });
    const session = await createGptSession(bytes);
    const ort = await onnxPerplexity(session, validation, model.config.contextLength);
    if (weights === 'int8') model.setWeights(gptInt8Weights(model));
    const tfjs = model.evaluate(validation, evalOpts);
    model.setWeights(fp32);
    rows.push({ section: 'onnx', name: `ONNX Runtime ${weights}`, perplexity: ort.perplexity, bpc: ort.bitsPerChar, bytes: bytes.length, detail: `tfjs ${weights === 'int8' ? 'with the same int8 weights' : 'fp32'}: ${tfjs.perplexity.toFixed(5)} (relative difference ${(Math.abs(ort.perplexity - tfjs.perplexity) / tfjs.perplexity).toExponential(1)})` });
    await session.release();
  }

  return {
    rows,
    columns: [
      ['section', (r) => r.section as Cell], ['name', (r) => r.name as Cell], ['bits', (r) => r.bits as Cell], ['group', (r) => r.groupSize as Cell],
      ['sparsity', (r) => r.sparsity as Cell], ['perplexity', (r) => (typeof r.perplexity === 'number' ? r.perplexity.toFixed(4) : null)], ['bpc', (r) => (typeof r.bpc === 'number' ? r.bpc.toFixed(4) : null)], ['bytes', (r) => r.bytes as Cell],
      ['ratio', (r) => r.ratio as Cell], ['detail', (r) => r.detail as Cell],
    ],
    notes: [
      `tinyGpt ${quick ? 'quick' : 'full'} preset trained by trainTinyGptCached on the KJV (Debian bible-kjv-text): ${result.steps} steps, batch 32; validation bpc at the end of training ${result.validationBpc.toFixed(3)}`,
      `perplexity and bits per character on the first ${validation.length} validation characters (every 10th chapter), the same text for every row; calibration: the first 2048 training characters (GPTQ, AWQ, SmoothQuant), 4096 for Wanda and head importance`,
      'bytes: the whole model as stored (linear weights by the method, codes + scales + zero points; embeddings, biases and LayerNorms float32); ONNX rows: the file',
      `outliers-injected: channels ${injected.channels.join(', ')} of the residual stream scaled x${injected.factor} in every ln1/ln2 gain and bias, the next weight's columns divided by it (the fp32 row shows the function is unchanged)`,
      `heads: ranked once on the intact model by the loss increase when each is removed alone (headImportance 'loss'), then removed least important first`,
      `distillation: student width ${studentShape.dModel}, temperature 2, alpha 0.5 (half soft targets, half labels), ${distillSteps} steps, seed 7 for both students`,
    ],
    extra: { model: { config: model.config, parameters: model.parameterCount(), macsPerToken: summary.totalMacsPerToken, training: result, cached: trained.cached }, channelStats: stats.map((s) => ({ name: s.name, cols: s.cols, absMax: Array.from(s.absMax, (v) => +v.toFixed(4)), maxOverMedian: s.maxOverMedian, outliers: s.outliers })) },
  };
}

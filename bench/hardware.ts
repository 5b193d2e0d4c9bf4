/**
 * `npm run bench -- hardware [--precision float32|int8] [--budget N] [--images N]`: notebook 07's measurements
 * in one run, on this machine.
 *
 * 1. GFLOP/s of each matrix-product variant at 512×512×512 (naive, unrolled, blocked, packed, backend) and the
 *    blocked / naive and packed / naive ratios; GFLOP/s versus tile size for blocked and packed.
 * 2. The measured compute peak and memory bandwidth (src/hardware/peak.ts, bandwidth.ts).
 * 3. Convolution on LeNet-5's and mnistCnn's second conv shapes: direct vs im2col + packed GEMM vs backend, and
 *    the direct kernel in NHWC vs NCHW.
 * 4. CSR and N:M sparse vs dense over sparsities (SpMV 1024², SpMM 512² × 64), with the crossover sparsities.
 * 5. Conv + bias + ReLU fused vs separate passes, in TypeScript and on the backend.
 * 6. The hardware-aware architecture search: random and evolutionary search at the same budget of measured
 *    candidates (trained briefly on MNIST, accuracy on test images, latency at batch 1 and 256), a
 *    microcontroller memory model (256 KiB SRAM, 1 MiB flash; float32 by default, the precision the candidates
 *    are measured in) that rules candidates out before training; Pareto fronts. Results are cached in
 *    .cache/hardware/search-results.json by a hash of architecture + training settings + build.
 * 7. Compute-in-memory, simulated on the trained LeNet-5 of notebooks 03/07 (trainCached, same configuration):
 *    accuracy against additive and multiplicative weight noise and ADC bits, 128-row crossbar tiles.
 *
 * OPTILAB_QUICK=1 runs smaller sizes, fewer repeats and a tiny search (numbers noisier; small sizes fit in cache).
 */
import { initBackend, kernelsInUse } from '../src/backend';
import { loadMnist } from '../src/data/files';
import { subset } from '../src/data/dataset';
import {
  benchConv, benchConvLayouts, benchFusion, benchGemm, calibrateAdc, cimSweep, csrCrossover, evolutionarySearch, measureBandwidth, measurePeak, nmCrossover, randomSearch,
  sparsitySweep, tileSweep, type CandidateResult, type ConvShape, type Crossover, type CimSweepPoint, type McuPrecision, type SearchOptions, type SearchResult, type SparsitySweep,
  DEFAULT_MCU_BUDGET, DEFAULT_SEARCH_SPACE, candidateMemory, checkMcuBudget,
} from '../src/hardware';
import { fileResultCache, searchCacheSalt } from '../src/hardware/search-cache-file';
import { trainCached } from '../src/train/cache';
import { predictLogits, scoreLogits } from '../src/train/train';
import { benchFlag, type BenchReport, type Cell } from './harness';

type Row = Record<string, unknown>;

/** One line of the printed table: section, item, setting, value + unit, and a free-text detail. */
function row(section: string, item: string, setting: string, value: number | null, unit: string, detail = '', data: Row = {}): Row {
  return { section, item, setting, value, unit, detail, ...data };
}

const f = (x: number, d = 2) => x.toFixed(d);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const crossText = (c: Crossover) => (c.sparsity === null ? 'never' : `${pct(c.sparsity)} (interpolated ${pct(c.estimate!)})`);

export async function run(args: string[]): Promise<BenchReport> {
  const quick = process.env.OPTILAB_QUICK === '1';
  const backend = await initBackend();
  const kernels = kernelsInUse().kernels;
  const start = performance.now();
  const log = (s: string) => console.error(`[hardware] ${new Date().toISOString().slice(11, 19)} +${((performance.now() - start) / 1000).toFixed(0)}s ${s}`);
  const rows: Row[] = [];
  const notes: string[] = [];
  const measure = { warmup: quick ? 1 : 2, repeats: quick ? 3 : 7 };

  // 1. GEMM variants and tile size.
  const n = quick ? 192 : 512;
  const shape = { M: n, N: n, K: n };
  log(`GEMM variants at ${n}`);
  const gemm = benchGemm(shape, { ...measure, tile: 64 });
  const naive = gemm.find((t) => t.name === 'naive')!.gflops;
  for (const t of gemm) rows.push(row('gemm', t.name, `${n}³${t.tile ? `, tile ${t.tile}` : ''}`, t.gflops, 'GFLOP/s', `${f(t.seconds * 1e3, 1)} ms, ${f(t.gflops / naive)}x naive`, { gflops: t.gflops, seconds: t.seconds, tile: t.tile ?? null }));
  const ratio = (name: string) => gemm.find((t) => t.name === name)!.gflops / naive;
  rows.push(row('gemm', 'blocked / naive', `${n}³, tile 64`, ratio('blocked'), 'x', 'speed ratio', { ratio: ratio('blocked') }));
  rows.push(row('gemm', 'packed / naive', `${n}³, tile 64`, ratio('packed'), 'x', 'speed ratio', { ratio: ratio('packed') }));
  const tiles = quick ? [4, 16, 64, 192] : [4, 8, 16, 32, 64, 128, 256, 512];
  log(`tile sweep ${tiles.join(', ')}`);
  const sweeps = (['blocked', 'packed'] as const).map((v) => tileSweep(shape, tiles, v, measure));
  for (const t of sweeps.flat()) rows.push(row('tile', t.name, `${n}³, tile ${t.tile}`, t.gflops, 'GFLOP/s', `${f(t.seconds * 1e3, 1)} ms`, { gflops: t.gflops, tile: t.tile }));

  // 2. Peak and bandwidth.
  log('peak and bandwidth');
  const peak = measurePeak({ ...measure, backendSize: quick ? 256 : 512 });
  const bw = measureBandwidth({ elements: quick ? 1 << 22 : 1 << 24, repeats: quick ? 3 : 7 });
  rows.push(row('roof', 'peak: register-blocked JS', 'micro-kernel 4x4, kc 256 (L1)', peak.registerBlocked, 'GFLOP/s', 'fastest sample'));
  rows.push(row('roof', 'peak: backend matMul', `${peak.backendSize}³`, peak.backend, 'GFLOP/s', 'fastest sample'));
  rows.push(row('roof', 'peak', peak.source, peak.peak, 'GFLOP/s', `ridge ${f(peak.peak / bw.bandwidth, 1)} FLOP/B`));
  rows.push(row('roof', 'bandwidth: copy', `${bw.elements} floats`, bw.copy, 'GB/s', '8 B per element'));
  rows.push(row('roof', 'bandwidth: triad', `${bw.elements} floats`, bw.triad, 'GB/s', '12 B per element'));

  // 3. Convolution: im2col vs direct, NHWC vs NCHW.
  const batch = quick ? 2 : 8;
  const convShapes: [string, ConvShape][] = [
    ['lenet5 conv2', { batch, height: 14, width: 14, inChannels: 6, outChannels: 16, kernelHeight: 5, kernelWidth: 5, padding: 'valid' }],
    ['mnistCnn conv2', { batch, height: 14, width: 14, inChannels: 32, outChannels: 64, kernelHeight: 3, kernelWidth: 3, padding: 'same' }],
  ];
  const convResults: Row[] = [];
  for (const [label, s] of convShapes) {
    log(`conv ${label}`);
    const setting = `batch ${s.batch}, ${s.height}x${s.width}x${s.inChannels} -> ${s.outChannels}, ${s.kernelHeight}x${s.kernelWidth} ${s.padding}`;
    const algos = benchConv(s, measure);
    const layouts = benchConvLayouts(s, { ...measure, minSampleMs: 10 });
    const direct = algos.find((t) => t.name === 'direct')!;
    for (const t of algos) rows.push(row(`conv ${label}`, t.name, setting, t.gflops, 'GFLOP/s', `${f(t.seconds * 1e3, 2)} ms (median), ${f(direct.seconds / t.seconds)}x direct`, { gflops: t.gflops, seconds: t.seconds }));
    const nhwc = layouts[0];
    for (const t of layouts) rows.push(row(`layout ${label}`, t.name, setting, t.gflops, 'GFLOP/s', `${f(t.seconds * 1e3, 2)} ms (best), ${f(nhwc.seconds / t.seconds)}x nhwc`, { gflops: t.gflops, seconds: t.seconds }));
    convResults.push({ label, shape: s, algorithms: algos.map(({ samples: _s, ...t }) => t), layouts: layouts.map(({ samples: _s, ...t }) => t) });
  }

  // 4. Sparse vs dense, with the crossovers.
  const sweepMeasure = { warmup: 1, repeats: quick ? 3 : 7, minSampleMs: quick ? 5 : 10 };
  const patterns: [number, number][] = [[2, 4], [1, 4], [1, 8]];
  const sparsities = quick ? [0, 0.5, 0.8, 0.9, 0.99] : undefined;
  log('sparse SpMV sweep');
  const spmv = sparsitySweep({ rows: quick ? 384 : 1024, cols: quick ? 384 : 1024, batch: 1, patterns, backend: true, sparsities, ...sweepMeasure });
  log('sparse SpMM sweep');
  const spmm = sparsitySweep({ rows: quick ? 192 : 512, cols: quick ? 192 : 512, batch: quick ? 16 : 64, patterns, backend: true, sparsities, ...sweepMeasure });
  const crossovers: Row = {};
  for (const [label, sw] of [['spmv', spmv], ['spmm', spmm]] as [string, SparsitySweep][]) {
    const setting = `${sw.rows}x${sw.cols}${sw.batch > 1 ? ` · ${sw.cols}x${sw.batch}` : ''}`;
    for (const p of sw.points) {
      rows.push(row(`sparse ${label}`, `csr ${pct(p.sparsity)}`, setting, p.seconds.dense / p.seconds.csr, 'x dense', `dense ${f(p.seconds.dense * 1e6, 0)} us, csr ${f(p.seconds.csr * 1e6, 0)} us, backend ${f(p.seconds.backend! * 1e6, 0)} us; csr bytes ${f(p.bytes.csr / p.bytes.dense)}x dense`, { sparsity: p.sparsity, seconds: p.seconds }));
    }
    for (const p of sw.structured) {
      rows.push(row(`sparse ${label}`, `${p.pattern} (${pct(p.sparsity)})`, setting, p.seconds.dense / p.seconds.nm!, 'x dense', `dense ${f(p.seconds.dense * 1e6, 0)} us, n:m ${f(p.seconds.nm! * 1e6, 0)} us, csr ${f(p.seconds.csr * 1e6, 0)} us`, { sparsity: p.sparsity, pattern: p.pattern, seconds: p.seconds }));
    }
    const c = { csrVsDense: csrCrossover(sw, 'dense'), csrVsBackend: csrCrossover(sw, 'backend'), nmVsDense: nmCrossover(sw) };
    crossovers[label] = c;
    rows.push(row(`crossover ${label}`, 'csr vs dense (TS)', setting, c.csrVsDense.sparsity, 'sparsity', crossText(c.csrVsDense), { estimate: c.csrVsDense.estimate }));
    rows.push(row(`crossover ${label}`, 'csr vs backend', setting, c.csrVsBackend.sparsity, 'sparsity', crossText(c.csrVsBackend), { estimate: c.csrVsBackend.estimate }));
    rows.push(row(`crossover ${label}`, 'n:m vs dense (TS)', `${setting}; 2:4, 1:4, 1:8`, c.nmVsDense.sparsity, 'sparsity', crossText(c.nmVsDense), { estimate: c.nmVsDense.estimate }));
  }

  // 5. Fusion.
  const fusionMeasure = { warmup: 2, repeats: quick ? 3 : 15, minSampleMs: 10 };
  const fusionShapes: [string, ConvShape][] = [
    ['3x3, 32 -> 32', { batch, height: 14, width: 14, inChannels: 32, outChannels: 32, kernelHeight: 3, kernelWidth: 3, padding: 'same' }],
    ['1x1, 8 -> 16', { batch, height: 28, width: 28, inChannels: 8, outChannels: 16, kernelHeight: 1, kernelWidth: 1 }],
  ];
  for (const [label, s] of fusionShapes) {
    log(`fusion ${label}`);
    const t = Object.fromEntries(benchFusion(s, fusionMeasure).map((k) => [k.name, k.seconds]));
    const setting = `conv ${label}, batch ${s.batch}, ${s.height}x${s.width}`;
    rows.push(row('fusion', 'TypeScript fused', setting, t['separate'] / t['fused'], 'x separate', `separate ${f(t['separate'] * 1e3, 3)} ms, fused ${f(t['fused'] * 1e3, 3)} ms`, { seconds: { separate: t['separate'], fused: t['fused'] } }));
    rows.push(row('fusion', 'backend fused.conv2d', setting, t['backend separate'] / t['backend fused'], 'x separate', `conv2d+add+relu ${f(t['backend separate'] * 1e3, 3)} ms, fused ${f(t['backend fused'] * 1e3, 3)} ms`, { seconds: { separate: t['backend separate'], fused: t['backend fused'] } }));
  }

  // 6. Hardware-aware architecture search.
  const precision = benchFlag(args, 'precision', 'float32') as McuPrecision;
  if (precision !== 'float32' && precision !== 'int8') throw new Error(`--precision must be float32 or int8, got ${precision}`);
  const budget = Number(benchFlag(args, 'budget', quick ? '3' : '12'));
  const images = Number(benchFlag(args, 'images', quick ? '500' : '6000'));
  const training = { images, epochs: 1, testImages: quick ? 200 : 5000, seed: 1 };
  const searchData = { train: loadMnist({ split: 'train', limit: images }), test: loadMnist({ split: 'test', limit: training.testImages }) };
  const cache = fileResultCache();
  const searchOpts: SearchOptions = {
    budget, seed: 1, training, cache, salt: await searchCacheSalt(), memory: { precision }, mcu: DEFAULT_MCU_BUDGET,
    latency: quick ? { runs: 5, batchRuns: 2, warmup: 2 } : { runs: 20, batchRuns: 5, warmup: 3 },
    onCandidate: (c, i) => log(`  ${i + 1}/${budget} ${c.label}: ${pct(c.accuracy)}, ${f(c.latencyMs, 2)} ms @1, ${f(c.batchImagesPerSecond, 0)} img/s @256${c.cached ? ' (cached)' : ` (trained in ${f(c.trainSeconds, 1)} s)`}`),
  };
  const searches: SearchResult[] = [];
  for (const [name, strategy] of [['random', randomSearch], ['evolution', evolutionarySearch]] as const) {
    log(`search: ${name}, budget ${budget}`);
    searches.push(await strategy(searchData, searchOpts));
  }
  const describe = (c: CandidateResult, front: CandidateResult[]) =>
    `${f(c.latencyMs, 2)} ms @1, ${f(c.batchImagesPerSecond, 0)} img/s @${c.batchSize}, ${c.params} params, SRAM ${kib(c.peakActivationBytes)}, flash ${kib(c.flashBytes)}${front.includes(c) ? ', PARETO' : ''}${c.cached ? ', cached' : ''}`;
  for (const s of searches) {
    for (const c of s.evaluated) rows.push(row(`search ${s.strategy}`, c.label, `${precision}, ${images} img x 1 epoch`, c.accuracy, 'accuracy', describe(c, s.front), { accuracy: c.accuracy, latencyMs: c.latencyMs, onFront: s.front.includes(c) }));
    for (const r of s.ruledOut) rows.push(row(`ruled out ${s.strategy}`, r.label, precision, null, '', r.reasons.join('; ')));
  }
  // The union of both searches' measured candidates, and its front.
  const all = new Map<string, CandidateResult>();
  for (const s of searches) for (const c of s.evaluated) all.set(c.label, c);
  const int8Fits = (c: CandidateResult) => checkMcuBudget(candidateMemory(c.arch, { precision: 'int8' })).fits;
  const bestOf = (s: SearchResult) => s.evaluated.reduce<CandidateResult | undefined>((b, c) => (!b || c.accuracy > b.accuracy ? c : b), undefined);
  for (const s of searches) {
    const b = bestOf(s);
    notes.push(`${s.strategy} search (seed ${s.seed}): ${s.evaluated.length} measured (${s.evaluated.filter((c) => c.cached).length} from the cache), ${s.ruledOut.length} ruled out, ${s.draws} draws; best ${b ? `${b.label} ${pct(b.accuracy)}` : '-'}; front ${s.front.map((c) => `${c.label} (${pct(c.accuracy)}, ${f(c.latencyMs, 2)} ms)`).join(', ')}`);
  }

  // 7. Compute-in-memory on LeNet-5.
  const lenetConfig = quick ? { model: 'lenet5' as const, epochs: 1, seed: 1, limit: 5000, testLimit: 2000 } : { model: 'lenet5' as const, epochs: 3, seed: 1 };
  log(`CIM: LeNet-5 ${JSON.stringify(lenetConfig)}`);
  const { model: lenet, cached: lenetCached, metrics } = await trainCached(lenetConfig);
  const cimTest = loadMnist({ split: 'test', limit: quick ? 500 : 3000 });
  const exactAcc = scoreLogits(await predictLogits(lenet, cimTest), cimTest.labels, 10).accuracy;
  const calibSet = subset(loadMnist({ split: 'train', limit: 500 }), 500);
  const tileRows = 128;
  const calibration = calibrateAdc(lenet, calibSet, { tileRows });
  const seeds = quick ? [1, 2] : [1, 2, 3];
  const additive = quick ? [0, 0.05, 0.2] : [0, 0.02, 0.05, 0.1, 0.2, 0.3];
  const bits = quick ? [null, 2, 4, 8] : [null, 1, 2, 3, 4, 6, 8];
  log(`CIM: additive noise ${additive.join(', ')} x ADC bits ${bits.map((b) => b ?? 'ideal').join(', ')}`);
  const cimAdd = cimSweep(lenet, cimTest, { noiseLevels: additive, adcBits: bits, seeds, tileRows, calibration });
  const multiplicative = quick ? [0.1, 0.3] : [0.05, 0.1, 0.2, 0.5];
  log(`CIM: multiplicative noise ${multiplicative.join(', ')}`);
  const cimMul = cimSweep(lenet, cimTest, { noiseLevels: multiplicative, noiseKind: 'multiplicative', adcBits: [null, 4, 8], seeds, tileRows, calibration });
  rows.push(row('cim', 'exact (tfjs)', `lenet5, ${cimTest.count} test images`, exactAcc, 'accuracy', `trainCached ${lenetCached ? 'hit' : 'trained now'}; its own test accuracy ${pct(metrics.test.accuracy)}`));
  const cimRow = (p: CimSweepPoint) => row('cim', `${p.noiseKind} σ ${p.noise}`, `ADC ${p.adcBits ?? 'ideal'}${p.adcBits ? ' bits' : ''}, ${p.tileRows}-row tiles`, p.accuracy, 'accuracy', `${p.seeds} seed${p.seeds > 1 ? 's' : ''}: ${pct(p.min)}..${pct(p.max)}; ${f(100 * (p.accuracy - exactAcc), 2)} pp vs exact`, { noise: p.noise, adcBits: p.adcBits, min: p.min, max: p.max });
  for (const p of [...cimAdd, ...cimMul]) rows.push(cimRow(p));
  lenet.dispose();

  const blocked = ratio('blocked');
  const packed = ratio('packed');
  const front = (s: SearchResult) => s.front.map((c) => c.label);
  notes.unshift(
    `backend ${backend} (kernels: ${kernels}); ${quick ? 'QUICK mode: small sizes, few repeats, tiny search' : 'full mode'}`,
    `GEMM ${n}³: blocked / naive ${f(blocked)}x, packed / naive ${f(packed)}x (tile 64; medians of ${measure.repeats})`,
    `crossover sparsity, CSR vs hand-written dense: SpMV ${crossText((crossovers.spmv as { csrVsDense: Crossover }).csrVsDense)}, SpMM ${crossText((crossovers.spmm as { csrVsDense: Crossover }).csrVsDense)}; vs backend matMul: SpMV ${crossText((crossovers.spmv as { csrVsBackend: Crossover }).csrVsBackend)}, SpMM ${crossText((crossovers.spmm as { csrVsBackend: Crossover }).csrVsBackend)}; N:M vs dense: SpMV ${crossText((crossovers.spmv as { nmVsDense: Crossover }).nmVsDense)}, SpMM ${crossText((crossovers.spmm as { nmVsDense: Crossover }).nmVsDense)}`,
    `search: ${budget} measured candidates per strategy (equal budget), ${images} training images x 1 epoch (seed 1), accuracy on ${searchData.test.count} MNIST test images (selection on the test split, as notebook 07 asks; a study would select on a validation split), latency = median batch-1 predict, throughput at batch 256; memory model ${precision} (activations and weights), budget ${kib(DEFAULT_MCU_BUDGET.sramBytes)} SRAM / ${kib(DEFAULT_MCU_BUDGET.flashBytes)} flash; candidates over it are ruled out before training; space ${JSON.stringify(DEFAULT_SEARCH_SPACE)}`,
    `search results cached in ${cache.file} (key: architecture + training settings + build hash); cached latencies are those measured when the entry was made`,
    `union of both searches: ${all.size} distinct candidates, ${[...all.values()].filter(int8Fits).length} of them would also fit in int8; fronts: random [${front(searches[0]).join(', ')}], evolution [${front(searches[1]).join(', ')}]`,
    `CIM: LeNet-5 ${JSON.stringify(lenetConfig)} (trainCached, shared with notebooks 03/07); Dense and Conv2D layers on ${tileRows}-row crossbar tiles; weight noise σ relative to each layer's max |w| (additive) or to each weight (multiplicative), seeds ${seeds.join(', ')} averaged; ADC mid-rise over [-clip, clip] per layer, clip = max |tile partial sum| of the exact model on ${calibSet.count} training images; accuracy on ${cimTest.count} test images (exact: ${pct(exactAcc)})`,
  );
  const columns: [string, (r: Row) => Cell][] = [
    ['section', (r) => r.section as Cell],
    ['item', (r) => r.item as Cell],
    ['setting', (r) => r.setting as Cell],
    ['value', (r) => (typeof r.value === 'number' && r.unit === 'accuracy' ? +(100 * r.value).toFixed(2) : (r.value as Cell))],
    ['unit', (r) => (r.unit === 'accuracy' ? 'acc %' : (r.unit as Cell))],
    ['detail', (r) => r.detail as Cell],
  ];
  return {
    rows,
    columns,
    notes,
    extra: {
      gemm: { size: n, ratios: { blockedOverNaive: blocked, packedOverNaive: packed }, variants: gemm.map(({ samples: _s, ...t }) => t), tileSweep: sweeps.flat().map(({ samples: _s, ...t }) => t) },
      roof: { peak, bandwidth: bw },
      conv: convResults,
      sparse: { crossovers, spmv, spmm },
      search: {
        precision, budget: DEFAULT_MCU_BUDGET, training, space: DEFAULT_SEARCH_SPACE,
        strategies: searches.map((s) => ({ strategy: s.strategy, seed: s.seed, budget: s.budget, draws: s.draws, front: s.front.map((c) => c.label), evaluated: s.evaluated, ruledOut: s.ruledOut })),
      },
      cim: { model: lenetConfig, testImages: cimTest.count, exactAccuracy: exactAcc, tileRows, calibration, additive: cimAdd, multiplicative: cimMul },
    },
  };
}

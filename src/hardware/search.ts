/**
 * Hardware-aware architecture search over src/hardware/search-space.ts, two strategies at the same budget (the
 * number of candidates measured: trained, scored and timed by evaluateCandidate):
 *
 * - **random**: architectures drawn uniformly.
 * - **evolution**: a random starting population, then each new candidate is a one-change mutation of a parent
 *   drawn from the current Pareto front (accuracy up, batch-1 latency down): "mutate the best", where best is
 *   every trade-off no one beats.
 *
 * Both check each drawn architecture against the microcontroller budget first (src/hardware/mcu-memory.ts): one
 * that does not fit is listed as ruled out, with the reason, and costs no training and no budget. An
 * architecture is considered once. Draws come from a seeded generator: random search is reproducible outright;
 * evolution's parents depend on measured latencies, so it is reproducible given the same measurements (which the
 * result cache gives a rerun). Isomorphic.
 */
import { mulberry32 } from '../util/random';
import { checkMcuBudget, candidateMemory, DEFAULT_MCU_BUDGET, type McuBudget } from './mcu-memory';
import { paretoFront } from './pareto';
import { evaluateCandidate, type CandidateResult, type EvaluateOptions, type SearchData } from './search-eval';
import { architectureLabel, DEFAULT_SEARCH_SPACE, mutateArchitecture, sampleArchitecture, type Architecture, type SearchSpace } from './search-space';

export type SearchStrategy = 'random' | 'evolution';

export interface SearchOptions extends EvaluateOptions {
  /** Candidates to measure. */
  budget: number;
  space?: SearchSpace;
  seed?: number;
  /** SRAM and flash limits (default DEFAULT_MCU_BUDGET); the precision is `memory.precision` (default int8). */
  mcu?: McuBudget;
  /** Evolution: size of the random starting population (default max(2, ceil(budget / 4))). */
  population?: number;
  /** Stop after this many draws even if the budget is not spent (a small or mostly ruled-out space; default 100·budget). */
  maxDraws?: number;
  /** Called after each measured candidate. */
  onCandidate?: (r: CandidateResult, index: number) => void;
}

/** A drawn architecture that does not fit the microcontroller. */
export interface RuledOut {
  label: string;
  arch: Architecture;
  params: number;
  peakActivationBytes: number;
  flashBytes: number;
  reasons: string[];
}

export interface SearchResult {
  strategy: SearchStrategy;
  seed: number;
  budget: number;
  /** Measured candidates, in the order they were drawn. */
  evaluated: CandidateResult[];
  ruledOut: RuledOut[];
  /** paretoFront(evaluated): accuracy against batch-1 latency. */
  front: CandidateResult[];
  /** Architectures drawn (measured, ruled out, or seen before). */
  draws: number;
}

/** The bookkeeping both strategies share: each architecture once, the budget check before any training. */
class SearchRun {
  readonly evaluated: CandidateResult[] = [];
  readonly ruledOut: RuledOut[] = [];
  private readonly seen = new Set<string>();
  draws = 0;

  constructor(private readonly data: SearchData, private readonly opts: SearchOptions) {}

  get done(): boolean {
    return this.evaluated.length >= this.opts.budget || this.draws >= (this.opts.maxDraws ?? 100 * this.opts.budget);
  }

  /** Measures `arch` unless it was seen or does not fit; true when it was measured. */
  async consider(arch: Architecture): Promise<boolean> {
    this.draws++;
    const label = architectureLabel(arch);
    if (this.seen.has(label)) return false;
    this.seen.add(label);
    const mem = candidateMemory(arch, this.opts.memory);
    const check = checkMcuBudget(mem, this.opts.mcu ?? DEFAULT_MCU_BUDGET);
    if (!check.fits) {
      this.ruledOut.push({ label, arch, params: mem.params, peakActivationBytes: mem.peakActivationBytes, flashBytes: mem.flashBytes, reasons: check.reasons });
      return false;
    }
    const r = await evaluateCandidate(arch, this.data, this.opts);
    this.evaluated.push(r);
    this.opts.onCandidate?.(r, this.evaluated.length - 1);
    return true;
  }

  result(strategy: SearchStrategy, seed: number): SearchResult {
    return { strategy, seed, budget: this.opts.budget, evaluated: this.evaluated, ruledOut: this.ruledOut, front: paretoFront(this.evaluated), draws: this.draws };
  }
}

function checkBudget(budget: number): void {
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`budget must be a positive whole number of candidates, got ${budget}`);
}

/**
 * Random search: draws architectures uniformly until `budget` of them have been measured.
 *
 * @example
 * const r = await randomSearch({ train, test }, { budget: 12, seed: 1, training: { images: 5000, epochs: 1, testImages: 2000 }, memory: { precision: 'float32' } });
 * r.front.map((c) => `${c.label} ${c.accuracy} ${c.latencyMs.toFixed(2)} ms`);
 */
export async function randomSearch(data: SearchData, opts: SearchOptions): Promise<SearchResult> {
  checkBudget(opts.budget);
  const seed = opts.seed ?? 1;
  const rand = mulberry32(seed);
  const space = opts.space ?? DEFAULT_SEARCH_SPACE;
  const run = new SearchRun(data, opts);
  while (!run.done) await run.consider(sampleArchitecture(space, rand));
  return run.result('random', seed);
}

/**
 * Evolutionary search: a random population, then mutations of parents drawn from the current Pareto front,
 * until `budget` candidates have been measured.
 *
 * @example
 * const e = await evolutionarySearch({ train, test }, { budget: 12, seed: 1, training: { images: 5000, epochs: 1, testImages: 2000 } });
 * e.front; // compare with randomSearch at the same budget
 */
export async function evolutionarySearch(data: SearchData, opts: SearchOptions): Promise<SearchResult> {
  checkBudget(opts.budget);
  const seed = opts.seed ?? 1;
  // Its own stream, so the starting population is not the random search's first draws with the same seed.
  const rand = mulberry32(seed ^ 0x5eed);
  const space = opts.space ?? DEFAULT_SEARCH_SPACE;
  const population = Math.min(opts.population ?? Math.max(2, Math.ceil(opts.budget / 4)), opts.budget);
  const run = new SearchRun(data, opts);
  while (!run.done && run.evaluated.length < population) await run.consider(sampleArchitecture(space, rand));
  let misses = 0;
  while (!run.done) {
    const front = paretoFront(run.evaluated);
    // Stuck around the front (every mutation seen or ruled out): a fresh random draw instead.
    const arch = misses < 20 && front.length > 0 ? mutateArchitecture(front[Math.floor(rand() * front.length)].arch, space, rand) : sampleArchitecture(space, rand);
    misses = (await run.consider(arch)) ? 0 : misses + 1;
  }
  return run.result('evolution', seed);
}

/** Messages between a notebook page and its session worker (notebook.worker.ts). */
import type { FetchProgress } from './datasets';
import type { CellError, CellFrame } from './cell-error';
import type { LabChecksResult } from '@optilab/core';

export type { CellError, CellFrame };

/**
 * `cell`: the 1-based number of the cell on the page (error messages name it). `tests`: the cell is a graded
 * lab's tests cell: it runs with the grader's check/expect and its checks come back in a 'checks' message.
 */
export type ToWorker = { type: 'run'; id: number; source: string; cell?: number; tests?: boolean };


/**
 * Training progress: trainCached's (core.TrainProgress) or trainTinyGptCached's, whose GptTrainProgress is sent
 * as one epoch of `steps` steps with its tokens per second (and validation bits per character when measured).
 */
export interface TrainProgressMsg { epoch: number; epochs: number; step: number; stepsPerEpoch: number; fraction: number; loss: number; imagesPerSecond: number; tokensPerSecond?: number; validationBpc?: number }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; id: number }
  | { type: 'stream'; id: number; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display'; id: number; bundle: Record<string, unknown> }
  | { type: 'result'; id: number; text: string }
  | { type: 'train'; id: number; p: TrainProgressMsg }
  | { type: 'data'; id: number; p: FetchProgress }
  | { type: 'backend'; name: string }
  | { type: 'checks'; id: number; result: LabChecksResult }
  | { type: 'done'; id: number; ok: boolean; error?: CellError };

/** Messages between a notebook page and its session worker (notebook.worker.ts). */
import type { FetchProgress } from './datasets';
import type { CellError, CellFrame } from './cell-error';

export type { CellError, CellFrame };

/** `cell`: the 1-based number of the cell on the page (error messages name it). */
export type ToWorker = { type: 'run'; id: number; source: string; cell?: number };


export interface TrainProgressMsg { epoch: number; epochs: number; step: number; stepsPerEpoch: number; fraction: number; loss: number; imagesPerSecond: number }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; id: number }
  | { type: 'stream'; id: number; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display'; id: number; bundle: Record<string, unknown> }
  | { type: 'result'; id: number; text: string }
  | { type: 'train'; id: number; p: TrainProgressMsg }
  | { type: 'data'; id: number; p: FetchProgress }
  | { type: 'backend'; name: string }
  | { type: 'done'; id: number; ok: boolean; error?: CellError };

/** Messages between a notebook page and its session worker (notebook.worker.ts). */
import type { FetchProgress } from './mnist';

/** `cell`: the 1-based number of the cell on the page (error messages name it). */
export type ToWorker = { type: 'run'; id: number; source: string; cell?: number };

/** A stack frame of a cell: the function (if named), the cell number and the line in the cell's source. */
export interface CellFrame { fn?: string; cell?: number; line: number; column: number }

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
  | { type: 'done'; id: number; ok: boolean; error?: { name: string; message: string; stack?: string; line?: number; column?: number; frames?: CellFrame[] } };

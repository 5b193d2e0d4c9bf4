/**
 * The page side of a notebook session: starts the worker on first use (the runtime, TypeScript and tfjs
 * load only then), forwards its messages, interrupts by terminating it (immediate, whatever the cell does)
 * and restarts with a fresh worker (all state gone).
 */
import type { FromWorker, ToWorker } from './protocol';

export class NotebookSession {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;

  constructor(private readonly onMessage: (m: FromWorker) => void) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./notebook.worker.ts', import.meta.url));
    this.worker = worker;
    this.ready = new Promise((resolve) => {
      worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        if (ev.data.type === 'ready') resolve();
        else this.onMessage(ev.data);
      };
      worker.onerror = (ev) => this.onMessage({ type: 'stream', id: -1, name: 'stderr', text: `The notebook session failed: ${ev.message}\n` });
    });
    return this.ready;
  }

  /** Queues a cell (`cell`: its 1-based number on the page, named by errors; `tests`: a lab's tests cell); its messages carry `id`. */
  async run(id: number, source: string, cell?: number, tests?: boolean): Promise<void> {
    await this.start();
    const msg: ToWorker = tests ? { type: 'run', id, source, cell, tests } : { type: 'run', id, source, cell };
    this.worker!.postMessage(msg);
  }

  /** Stops whatever runs now and drops the session's state. */
  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }

  get running(): boolean {
    return this.worker !== null;
  }
}

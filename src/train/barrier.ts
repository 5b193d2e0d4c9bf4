/**
 * A reusable barrier for the data-parallel training workers, in shared memory (Int32 [3]: arrivals, generation,
 * abort flag), so a step's exchange needs no message. Any party, or the main thread, can abort the run: every
 * waiting party then throws.
 */
const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;

/** Marks the run as failed and wakes every worker waiting at the barrier. */
export function abortWorkers(sync: Int32Array): void {
  Atomics.store(sync, ABORT, 1);
  Atomics.add(sync, GENERATION, 1);
  Atomics.notify(sync, GENERATION);
}

/** Waits until all `parties` workers arrive; throws if the run was aborted. A short spin first: steps are milliseconds. */
export function barrier(sync: Int32Array, parties: number): void {
  const generation = Atomics.load(sync, GENERATION);
  if (Atomics.add(sync, ARRIVED, 1) === parties - 1) {
    Atomics.store(sync, ARRIVED, 0);
    Atomics.add(sync, GENERATION, 1);
    Atomics.notify(sync, GENERATION);
  } else {
    for (let spin = 0; spin < 20000 && Atomics.load(sync, GENERATION) === generation; spin++);
    while (Atomics.load(sync, GENERATION) === generation) Atomics.wait(sync, GENERATION, generation, 1000);
  }
  if (Atomics.load(sync, ABORT)) throw new Error('stopped: another training worker failed');
}


/**
 * The Pareto front of accuracy against latency: the candidates no other candidate beats on both at once. A
 * point dominates another when its accuracy is at least as high and its latency at most as long, and it is
 * strictly better in one of the two. Points equal in both dominate neither, so duplicates stay on the front
 * together. Isomorphic.
 */

/** What the front compares: accuracy (higher is better) and latency (lower is better). */
export interface ParetoPoint {
  accuracy: number;
  latencyMs: number;
}

/**
 * True when `a` dominates `b`.
 *
 * @example
 * dominates({ accuracy: 0.98, latencyMs: 1 }, { accuracy: 0.97, latencyMs: 2 }); // true
 * dominates({ accuracy: 0.98, latencyMs: 3 }, { accuracy: 0.97, latencyMs: 2 }); // false: a trade-off
 */
export function dominates(a: ParetoPoint, b: ParetoPoint): boolean {
  return a.accuracy >= b.accuracy && a.latencyMs <= b.latencyMs && (a.accuracy > b.accuracy || a.latencyMs < b.latencyMs);
}

/**
 * The non-dominated points, fastest first (ties in latency: most accurate first). NaN values are refused.
 *
 * @example
 * paretoFront([{ accuracy: 0.9, latencyMs: 1 }, { accuracy: 0.95, latencyMs: 2 }, { accuracy: 0.93, latencyMs: 3 }]);
 * // [{ accuracy: 0.9, latencyMs: 1 }, { accuracy: 0.95, latencyMs: 2 }]
 */
export function paretoFront<T extends ParetoPoint>(points: readonly T[]): T[] {
  for (const p of points) {
    if (Number.isNaN(p.accuracy) || Number.isNaN(p.latencyMs)) throw new Error(`paretoFront: a point has accuracy ${p.accuracy}, latency ${p.latencyMs} ms`);
  }
  const sorted = [...points].sort((p, q) => p.latencyMs - q.latencyMs || q.accuracy - p.accuracy);
  // Sweeping by latency, a point is on the front iff it is more accurate than every faster point, or ties the
  // best so far at the same latency (an exact duplicate).
  const front: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    const last = front[front.length - 1];
    if (p.accuracy > best) {
      front.push(p);
      best = p.accuracy;
    } else if (last && p.accuracy === last.accuracy && p.latencyMs === last.latencyMs) front.push(p);
  }
  return front;
}

/** Sizes for people: bytes below 1 KB, then KB, then MB (decimal units, as downloads are usually labelled). */

/**
 * A byte count as a short label that never rounds a real size down to zero.
 *
 * @example
 * formatBytes(512);        // '512 B'
 * formatBytes(4542);       // '4.5 KB'
 * formatBytes(9_912_422);  // '9.9 MB'
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? B';
  if (n < 1000) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} KB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

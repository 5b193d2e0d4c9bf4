/**
 * Progress reporting for long work: a bar with percentage and ETA redrawn in place on a terminal, plain
 * lines (at most every 10%) otherwise, so CI logs stay readable. It writes to stderr by default, so a
 * command's stdout stays machine-readable.
 */

export interface Progress {
  update(fraction: number, detail?: string): void;
  done(detail?: string): void;
  /**
   * Erases the bar from the terminal line (nothing otherwise), so that a line printed next (on stdout, to the
   * same terminal) does not run into it; the next `update` draws the bar again.
   */
  clear(): void;
}

/** Where progress goes: process.stderr, or anything with `write` (and `isTTY` for a terminal). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/**
 * Creates a progress reporter writing to `stream` (stderr by default). The bar is drawn when the stream is a
 * terminal and CI is not set; otherwise a line is written whenever another 10% is reached.
 *
 * @example
 * const p = createProgress('training lenet5');
 * p.update(0.5, 'loss 0.12');
 * p.done('accuracy 99.0%');
 */
export function createProgress(label: string, stream: ProgressStream = process.stderr): Progress {
  const start = Date.now();
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let lastDecile = -1;
  let drawn = false;
  return {
    update(fraction, detail = '') {
      const f = Math.min(Math.max(fraction, 0), 1);
      const elapsed = (Date.now() - start) / 1000;
      const eta = f > 0 ? (elapsed * (1 - f)) / f : Infinity;
      if (tty) {
        const width = 24;
        const filled = Math.round(f * width);
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(`\r${label} [${bar}] ${(f * 100).toFixed(0).padStart(3)}% ETA ${formatSeconds(eta)} ${detail}\x1b[K`);
        drawn = true;
      } else {
        const decile = Math.floor(f * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${label}: ${(f * 100).toFixed(0)}% (elapsed ${formatSeconds(elapsed)}, ETA ${formatSeconds(eta)}) ${detail}\n`);
        }
      }
    },
    done(detail = '') {
      const elapsed = (Date.now() - start) / 1000;
      stream.write(`${tty ? '\r' : ''}${label}: done in ${formatSeconds(elapsed)} ${detail}${tty ? '\x1b[K' : ''}\n`);
      drawn = false;
    },
    clear() {
      if (tty && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

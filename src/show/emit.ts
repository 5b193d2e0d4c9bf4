/**
 * Sends MIME bundles to the notebook from a tslab cell (Node only).
 *
 * tslab's public `display.raw(mime, text)` sends one MIME type per output, but a bundle needs all of its
 * types in one `display_data` message. So the tslab sink calls the kernel's display writer directly: the
 * `lastWriteDisplayData` function of tslab's jupyter module, which `display.raw` itself calls and which is
 * set while a cell runs. Outside a kernel (plain `node`, scripts, tests) it prints the `text/plain` summary.
 */
import type { MimeBundle } from './bundle';

/** Something that shows a bundle. */
export type DisplaySink = (bundle: MimeBundle) => void;

type WriteDisplayData = (data: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

function tslabWriter(): WriteDisplayData | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData?: WriteDisplayData | null };
    return typeof jupyter.lastWriteDisplayData === 'function' ? jupyter.lastWriteDisplayData : null;
  } catch {
    return null;
  }
}

/**
 * True inside a running tslab kernel cell.
 *
 * @example
 * if (!inTslabKernel()) console.log('not in a notebook');
 */
export function inTslabKernel(): boolean {
  return tslabWriter() !== null;
}

/**
 * Shows a bundle in the current tslab cell, or prints its text/plain outside a kernel.
 *
 * @example
 * tslabSink({ 'text/plain': 'hello', 'text/html': '<b>hello</b>' });
 */
export const tslabSink: DisplaySink = (bundle) => {
  const write = tslabWriter();
  if (write) write({ data: bundle, metadata: {}, transient: {} }, false);
  else console.log(String(bundle['text/plain'] ?? JSON.stringify(bundle)));
};

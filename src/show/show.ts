/**
 * `show.sparsity(payload)`, `show.quantization(payload)` and `show.roofline(payload)`: draw the optilab visualizers from a tslab
 * notebook cell. The lab extension renders the custom MIME type; plain Jupyter and GitHub show the
 * text/html table. They return nothing, so a `show.*` call as a cell's last line does not also print the
 * payload (build a bundle without showing it with sparsityBundle / quantizationBundle).
 */
import type { QuantizationPayload, RooflinePayload, SparsityPayload } from '../viz/payloads';
import { quantizationBundle, rooflineBundle, sparsityBundle } from './bundle';
import { tslabSink, type DisplaySink } from './emit';

export interface ShowOptions {
  /** Where the bundle goes (default: the current tslab cell, or stdout outside a kernel). */
  sink?: DisplaySink;
}

/**
 * The notebook display helpers.
 *
 * @example
 * import { show } from 'optilab';
 * show.sparsity(payload);      // mask heat maps, sparsity bars, trend
 * show.quantization(payload);  // error histograms, SQNR table, saturation, QAT trace, bit layout
 * show.roofline(payload);      // the roofline of this machine with its kernels and layers
 */
export const show = {
  /** Displays a sparsity payload (invalid payloads display as an error box). */
  sparsity(payload: SparsityPayload, opts: ShowOptions = {}): void {
    (opts.sink ?? tslabSink)(sparsityBundle(payload));
  },
  /** Displays a quantization payload (invalid payloads display as an error box). */
  quantization(payload: QuantizationPayload, opts: ShowOptions = {}): void {
    (opts.sink ?? tslabSink)(quantizationBundle(payload));
  },
  /** Displays a roofline payload (invalid payloads display as an error box). */
  roofline(payload: RooflinePayload, opts: ShowOptions = {}): void {
    (opts.sink ?? tslabSink)(rooflineBundle(payload));
  },
};

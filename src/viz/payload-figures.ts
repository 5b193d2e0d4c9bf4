/**
 * The figures of any optilab payload, chosen by its MIME type: the one place that maps a payload type to its
 * figure function, used by the course site's notebook pages (stored and live outputs). A payload type added
 * to PAYLOAD_MIMES without a case here fails to compile (the switch is exhaustive) and fails
 * tests/viz/payloads.test.ts.
 */
import type { NamedFigure } from './figure';
import { QUANTIZATION_MIME, ROOFLINE_MIME, SPARSITY_MIME, type PayloadByMime, type PayloadMime } from './payloads';
import { quantizationFigures } from './quantization';
import { rooflineFigure } from './roofline';
import { sparsityFigures, type FigureOptions } from './sparsity';

/**
 * The named figures of a validated payload (validate it first with validatePayload).
 *
 * @example
 * const v = validatePayload(mime, data);
 * if (v.ok) for (const f of payloadFigures(mime, v.payload, { theme: 'dark' })) Plotly.newPlot(el, f.figure.data, f.figure.layout);
 */
export function payloadFigures<M extends PayloadMime>(mime: M, payload: PayloadByMime[M], opts: FigureOptions & { layer?: number | string } = {}): NamedFigure[] {
  const m: PayloadMime = mime;
  switch (m) {
    case SPARSITY_MIME:
      return sparsityFigures(payload as PayloadByMime[typeof SPARSITY_MIME], opts);
    case QUANTIZATION_MIME:
      return quantizationFigures(payload as PayloadByMime[typeof QUANTIZATION_MIME], opts);
    case ROOFLINE_MIME: {
      const p = payload as PayloadByMime[typeof ROOFLINE_MIME];
      return [{ id: 'roofline', title: p.title ?? 'Roofline', figure: rooflineFigure(p, opts) }];
    }
    default: {
      const never: never = m;
      throw new RangeError(`no figures for MIME type '${String(never)}'`);
    }
  }
}

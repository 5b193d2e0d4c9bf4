/**
 * MIME bundles of the visualizer payloads: the custom optilab MIME type (drawn by the lab extension), plus
 * `text/plain` (a readable summary) and `text/html` (a static table) for plain Jupyter, GitHub and static
 * pages. An invalid payload still becomes a bundle: the renderer shows its error box and the fallbacks
 * say what is wrong, so a cell never ends blank or in an exception.
 */
import { QUANTIZATION_MIME, ROOFLINE_MIME, SPARSITY_MIME, type QuantizationPayload, type RooflinePayload, type SparsityPayload } from '../viz/payloads';
import { escapeHtml, quantizationHtml, quantizationText, rooflineHtml, rooflineText, sparsityHtml, sparsityText } from '../viz/summary';
import { validateQuantizationPayload, validateRooflinePayload, validateSparsityPayload } from '../viz/validate';

/** A Jupyter display bundle: MIME type -> data. */
export type MimeBundle = Record<string, unknown>;

function invalidBundle(mime: string, kind: string, value: unknown, errors: string[]): MimeBundle {
  const text = `invalid ${kind} payload:\n${errors.map((e) => `  - ${e}`).join('\n')}`;
  const items = errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('');
  return {
    [mime]: value,
    'text/plain': text,
    'text/html': `<div class="optilab-error"><strong>invalid ${kind} payload</strong><ul>${items}</ul></div>`,
  };
}

/**
 * The display bundle of a sparsity payload.
 *
 * @example
 * const bundle = sparsityBundle(payload);
 * bundle['text/plain']; // 'Sparsity (lenet5): 80.0% of 61,706 weights pruned ...'
 */
export function sparsityBundle(payload: SparsityPayload | unknown): MimeBundle {
  const r = validateSparsityPayload(payload);
  if (!r.ok) return invalidBundle(SPARSITY_MIME, 'sparsity', payload, r.errors);
  return { [SPARSITY_MIME]: r.payload, 'text/plain': sparsityText(r.payload), 'text/html': sparsityHtml(r.payload) };
}

/**
 * The display bundle of a quantization payload.
 *
 * @example
 * const bundle = quantizationBundle(payload); // keys: the quantization MIME type, 'text/plain', 'text/html'
 */
export function quantizationBundle(payload: QuantizationPayload | unknown): MimeBundle {
  const r = validateQuantizationPayload(payload);
  if (!r.ok) return invalidBundle(QUANTIZATION_MIME, 'quantization', payload, r.errors);
  return { [QUANTIZATION_MIME]: r.payload, 'text/plain': quantizationText(r.payload), 'text/html': quantizationHtml(r.payload) };
}

/**
 * The display bundle of a roofline payload (text/html: the SVG roofline and the table of points).
 *
 * @example
 * const bundle = rooflineBundle(payload); // keys: the roofline MIME type, 'text/plain', 'text/html'
 */
export function rooflineBundle(payload: RooflinePayload | unknown): MimeBundle {
  const r = validateRooflinePayload(payload);
  if (!r.ok) return invalidBundle(ROOFLINE_MIME, 'roofline', payload, r.errors);
  return { [ROOFLINE_MIME]: r.payload, 'text/plain': rooflineText(r.payload), 'text/html': rooflineHtml(r.payload) };
}

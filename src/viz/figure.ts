/**
 * Plotly figure specs as plain JSON-able objects. The viz functions return these and never touch the DOM,
 * so the JupyterLab extension, the course site and tests all build the same picture from the same payload.
 * Draw one with `Plotly.newPlot(element, spec.data, spec.layout, { responsive: true })`.
 *
 * Traces used: `heatmap`, `bar`, `scatter` (the `plotly.js-cartesian-dist-min` bundle has them all; the
 * `basic` bundle lacks `heatmap`).
 */

/** One plotly trace (`type` plus its attributes). */
export type Trace = { type: 'heatmap' | 'bar' | 'scatter'; name?: string } & Record<string, unknown>;

/** A plotly layout object. */
export type Layout = Record<string, unknown>;

/** A complete figure: what `Plotly.newPlot(el, data, layout)` takes. */
export interface FigureSpec {
  data: Trace[];
  layout: Layout;
}

/** A figure with a stable id (for tests and DOM ids) and a human title. */
export interface NamedFigure {
  id: string;
  title: string;
  figure: FigureSpec;
}

/** A plain table (header + rows of cells), rendered as HTML by the extension, the site and `show`. */
export interface Table {
  columns: string[];
  rows: (string | number)[][];
}

/** The text a page shows for a cell that failed (compile or run time), naming cells and lines. */
/** A stack frame of a cell: the function (if named), the cell number and the line in the cell's source. */
export interface CellFrame { fn?: string; cell?: number; line: number; column: number }

/** The error of a failed cell, as the worker reports it (protocol.ts `done`). */
export interface CellError { name: string; message: string; stack?: string; line?: number; column?: number; frames?: CellFrame[] }

/**
 * The text of a cell's error: `Name: message`, then where it was raised in the notebook's TypeScript (the cell
 * and line of each frame that lies in a cell, innermost first). A compile error already names its line and
 * column in the message.
 *
 * @example
 * errorText({ name: 'Error', message: 'boom', frames: [{ fn: 'f', cell: 3, line: 2, column: 9 }, { cell: 5, line: 4, column: 1 }] });
 * // 'Error: boom\n    at f (cell 3, line 2)\n    at cell 5, line 4'
 */
export function errorText(e: CellError): string {
  const head = `${e.name}: ${e.message}`;
  if (e.name === 'CompileError' || !e.frames?.length) return head;
  const where = (f: CellFrame) => `${f.cell !== undefined ? `cell ${f.cell}, ` : ''}line ${f.line}`;
  const lines = e.frames.map((f) => (f.fn ? `    at ${f.fn} (${where(f)})` : `    at ${where(f)}`));
  // A callback and the statement that calls it (e.g. `values.map((v) => f(v))`) share a line: say it once.
  return [head, ...lines.filter((l, i) => l !== lines[i - 1]).slice(0, 6)].join('\n');
}

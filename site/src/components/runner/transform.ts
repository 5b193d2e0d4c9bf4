/**
 * Turns one notebook cell of TypeScript into the body of an async function that a notebook session runs,
 * the way tslab does it in the lab: types are erased (typescript's transpileModule), and top-level
 * declarations (`const`, `let`, `var`, `function`, `class`, `import`) become assignments to the session's
 * global scope, so later cells see them and a cell can be run again. `import ... from 'x'` becomes
 * `await __import('x')`. The value of a last expression statement is returned (the cell shows it, as tslab does).
 * `sourceOf` maps a line and column of the body back to the cell's TypeScript (through the body's pieces and
 * transpileModule's source map), so a runtime error names the line of the cell that threw.
 */
import ts from 'typescript';

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

export interface CompiledCell {
  /** Body of an async function taking `__import`; returns the cell's last expression value. */
  body: string;
  /** The cell source position of a 1-based body position (null when it is outside the cell's code). */
  sourceOf(line: number, column: number): Position | null;
}

/** A compile error of a cell, with the 1-based line and column in the cell's source. */
export class CellCompileError extends Error {
  constructor(readonly line: number, readonly column: number, readonly detail: string) {
    super(`compile error at line ${line}, column ${column}: ${detail}`);
    this.name = 'CellCompileError';
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes a source map's `mappings` (base64 VLQ) into, per generated line, segments
 * [generated column, original line, original column] (all 0-based; one source file).
 *
 * @example
 * decodeMappings('AAAA;AACA'); // [[[0, 0, 0]], [[0, 1, 0]]]
 */
export function decodeMappings(mappings: string): [number, number, number][][] {
  const lines: [number, number, number][][] = [];
  let srcLine = 0;
  let srcCol = 0;
  for (const text of mappings.split(';')) {
    const segs: [number, number, number][] = [];
    let genCol = 0;
    for (const seg of text.split(',')) {
      if (!seg) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += fields[0];
      if (fields.length >= 4) {
        srcLine += fields[2];
        srcCol += fields[3];
        segs.push([genCol, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** Builds the body from pieces of the transpiled JavaScript, remembering where each piece came from. */
class BodyWriter {
  text = '';
  private line = 0;
  private col = 0;
  /** Per body line: pieces starting there [body column, JS offset, whether the offset advances with the column]. */
  readonly marks: [number, number, boolean][][] = [[]];

  /** Appends `s`; `from` is its offset in the JavaScript (`fixed`: all of it maps to that offset). */
  push(s: string, from: number, fixed = false): void {
    this.marks[this.line].push([this.col, from, fixed]);
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\n') {
        this.line++;
        this.col = 0;
        this.marks[this.line] = [[0, fixed ? from : from + i + 1, fixed]];
      } else {
        this.col++;
      }
    }
    this.text += s;
  }

  /** The JavaScript offset of a 0-based body position, or null. */
  offsetOf(line: number, col: number): number | null {
    const marks = this.marks[line];
    if (!marks || marks.length === 0) return null;
    let m = marks[0];
    for (const x of marks) if (x[0] <= col) m = x;
    return m[2] ? m[1] : m[1] + Math.max(0, col - m[0]);
  }
}

function importToAssign(node: ts.ImportDeclaration, text: (n: ts.Node) => string): string {
  const spec = JSON.stringify((node.moduleSpecifier as ts.StringLiteral).text);
  const clause = node.importClause;
  if (!clause) return `await __import(${spec});`;
  const parts: string[] = [`const __m = await __import(${spec});`];
  if (clause.name) parts.push(`globalThis.${clause.name.text} = (__m && __m.default !== undefined) ? __m.default : __m;`);
  const b = clause.namedBindings;
  if (b && ts.isNamespaceImport(b)) parts.push(`globalThis.${b.name.text} = __m;`);
  if (b && ts.isNamedImports(b)) {
    for (const el of b.elements) parts.push(`globalThis.${el.name.text} = __m[${JSON.stringify((el.propertyName ?? el.name).text)}];`);
  }
  void text;
  return `{ ${parts.join(' ')} }`;
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
}

/**
 * Compiles a cell. Throws CellCompileError (line and column in the cell) on a syntax error.
 *
 * @example
 * const c = compileCell('const x: number = 1 + 1;\nx * 2');
 * c.body;            // 'globalThis.x = globalThis.x; (x = 1 + 1);\nreturn (x * 2);'  (roughly)
 * c.sourceOf(2, 9);  // { line: 2, column: 1 }
 */
export function compileCell(source: string): CompiledCell {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: 'cell.ts',
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true, sourceMap: true, removeComments: false },
  });
  const diag = (out.diagnostics ?? []).find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diag) {
    const pos = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : { line: 0, character: 0 };
    throw new CellCompileError(pos.line + 1, pos.character + 1, ts.flattenDiagnosticMessageText(diag.messageText, '\n'));
  }
  const js = out.outputText.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, '\n').replace(/\n?export \{\};\s*$/, '\n');
  const mappings = decodeMappings((JSON.parse(out.sourceMapText ?? '{"mappings":""}') as { mappings: string }).mappings);
  const sf = ts.createSourceFile('cell.js', js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const text = (n: ts.Node) => js.slice(n.getStart(sf), n.getEnd());
  const hoisted = new BodyWriter();
  const body = new BodyWriter();
  const stmts = sf.statements;
  stmts.forEach((st, i) => {
    const last = i === stmts.length - 1;
    const at = st.getStart(sf);
    if (ts.isImportDeclaration(st)) {
      body.push(importToAssign(st, text), at, true);
    } else if (ts.isVariableStatement(st)) {
      const names: string[] = [];
      for (const d of st.declarationList.declarations) bindingNames(d.name, names);
      // Names become globals of the session (declared first so a destructuring assignment has targets).
      body.push(names.map((n) => `globalThis.${n} = globalThis.${n};`).join(' '), at, true);
      for (const d of st.declarationList.declarations) {
        if (!d.initializer) continue;
        body.push(' (', at, true);
        body.push(text(d.name), d.name.getStart(sf));
        body.push(' = ', at, true);
        body.push(text(d.initializer), d.initializer.getStart(sf));
        body.push(');', at, true);
      }
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      hoisted.push(`globalThis.${st.name.text} = `, at, true);
      hoisted.push(text(st), at);
      hoisted.push(';', at, true);
    } else if (ts.isClassDeclaration(st) && st.name) {
      body.push(`globalThis.${st.name.text} = `, at, true);
      body.push(text(st), at);
      body.push(';', at, true);
    } else if (last && ts.isExpressionStatement(st)) {
      body.push('return (', at, true);
      body.push(text(st.expression), st.expression.getStart(sf));
      body.push(');', at, true);
    } else {
      body.push(text(st), at);
    }
    const w = ts.isFunctionDeclaration(st) && st.name ? hoisted : body;
    w.push('\n', st.getEnd(), true);
  });
  const hoistedLines = hoisted.marks.length - 1;
  /** JS offset -> TypeScript position through the source map (the nearest mapped column on that line). */
  const toSource = (offset: number): Position | null => {
    const { line, character } = sf.getLineAndCharacterOfPosition(offset);
    const segs = mappings[line];
    if (!segs || segs.length === 0) return null;
    let s = segs[0];
    for (const x of segs) if (x[0] <= character) s = x;
    return { line: s[1] + 1, column: s[2] + Math.max(0, character - s[0]) + 1 };
  };
  return {
    body: hoisted.text + body.text,
    sourceOf(line: number, column: number): Position | null {
      const l = line - 1;
      const offset = l < hoistedLines ? hoisted.offsetOf(l, column - 1) : body.offsetOf(l - hoistedLines, column - 1);
      return offset === null ? null : toSource(offset);
    },
  };
}

/**
 * Turns one notebook cell of TypeScript into the body of an async function that a notebook session runs,
 * the way tslab does it in the lab: types are erased (typescript's transpileModule), and top-level
 * declarations (`const`, `let`, `var`, `function`, `class`, `import`) become assignments to the session's
 * global scope, so later cells see them and a cell can be run again. `import ... from 'x'` becomes
 * `await __import('x')`. The value of a last expression statement is returned (the cell shows it, as tslab does).
 */
import ts from 'typescript';

export interface CompiledCell {
  /** Body of an async function taking `__import`; returns the cell's last expression value. */
  body: string;
}

/** A compile error of a cell, with the 1-based line and column in the cell's source. */
export class CellCompileError extends Error {
  constructor(readonly line: number, readonly column: number, readonly detail: string) {
    super(`compile error at line ${line}, column ${column}: ${detail}`);
    this.name = 'CellCompileError';
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
 * compileCell('const x: number = 1 + 1;\nx * 2').body
 * // 'globalThis.x = 1 + 1;\nreturn (x * 2);'  (roughly)
 */
export function compileCell(source: string): CompiledCell {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true, sourceMap: false, removeComments: false },
  });
  const diag = (out.diagnostics ?? []).find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diag) {
    const pos = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : { line: 0, character: 0 };
    throw new CellCompileError(pos.line + 1, pos.character + 1, ts.flattenDiagnosticMessageText(diag.messageText, '\n'));
  }
  const js = out.outputText.replace(/\n?export \{\};\s*$/, '\n');
  const sf = ts.createSourceFile('cell.js', js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const text = (n: ts.Node) => js.slice(n.getStart(sf), n.getEnd());
  const hoisted: string[] = [];
  const body: string[] = [];
  const stmts = sf.statements;
  stmts.forEach((st, i) => {
    const last = i === stmts.length - 1;
    if (ts.isImportDeclaration(st)) {
      body.push(importToAssign(st, text));
    } else if (ts.isVariableStatement(st)) {
      const names: string[] = [];
      const assigns: string[] = [];
      for (const d of st.declarationList.declarations) {
        bindingNames(d.name, names);
        if (d.initializer) assigns.push(`(${text(d.name)} = ${text(d.initializer)});`);
      }
      // Names become globals of the session (declared first so a destructuring assignment has targets).
      body.push(names.map((n) => `globalThis.${n} = globalThis.${n};`).join(' ') + ' ' + assigns.join(' '));
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      hoisted.push(`globalThis.${st.name.text} = ${text(st)};`);
    } else if (ts.isClassDeclaration(st) && st.name) {
      body.push(`globalThis.${st.name.text} = ${text(st)};`);
    } else if (last && ts.isExpressionStatement(st)) {
      body.push(`return (${text(st.expression)});`);
    } else {
      body.push(text(st));
    }
  });
  return { body: [...hoisted, ...body].join('\n') };
}

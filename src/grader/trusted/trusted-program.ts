/**
 * Turns a trusted cell of the assignment source (a tests cell, or a locked cell the tests rely on) into a
 * program for the trusted tests runner (./checker.js): TypeScript to JavaScript, `import` to `require`, and
 * a prologue that gives the cell its names in a fixed order of trust:
 *   1. the grading API (`check`, `expect`, `ref`), which nothing can replace;
 *   2. names declared by earlier trusted cells (locked helpers such as a reference `matmul`);
 *   3. the student's top-level names the cell mentions, as stand-ins that call into the student's kernel;
 *      never a name of the JavaScript or Node globals (a student's `const Math = ...` stays in the kernel).
 */
import ts from 'typescript';
import { MARKERS, stripHidden } from '../assignment/format';

/**
 * Names the grading API provides to every trusted program. `inKernel(f)` is the copy of `f` (a function a
 * locked cell declares) that runs in the student's kernel: for comparisons that must run in the same process
 * as the student's code, such as a speed check against a naive reference (what it returns is the kernel's).
 */
export const API_NAMES = new Set(['check', 'expect', 'ref', 'require', 'inKernel']);

/** Global names of a JavaScript realm in Node (recorded before any other module could add to them). */
const GLOBAL_NAMES = new Set([...Object.getOwnPropertyNames(globalThis), 'undefined', 'NaN', 'Infinity', 'arguments', 'this', 'globalThis']);

/** A compiled trusted program and what it declares. */
export interface TrustedProgram {
  /** JavaScript evaluating to `async (api) => void`. */
  js: string;
  /** Top-level value names the cell declares (kept for later cells). */
  declares: string[];
}

/** Top-level value declarations of a TypeScript cell (functions, classes, variables, enums, imports). */
export function declaredNames(source: string): string[] {
  const sf = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const bind = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) out.push(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const st of sf.statements) {
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) out.push(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
    else if (ts.isImportDeclaration(st) && st.importClause && !st.importClause.isTypeOnly) {
      const c = st.importClause;
      if (c.name) out.push(c.name.text);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) out.push(c.namedBindings.name.text);
      if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const e of c.namedBindings.elements) if (!e.isTypeOnly) out.push(e.name.text);
    }
  }
  return [...new Set(out)];
}

/** Every identifier a cell mentions (an over-approximation of the names it uses). */
export function mentionedNames(source: string): Set<string> {
  const sf = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2022, true);
  const out = new Set<string>();
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Replaces import declarations by `require` calls (trusted code may load modules). */
function importsToRequire(source: string): string {
  const sf = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2022, true);
  let out = '';
  let at = 0;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    const spec = (st.moduleSpecifier as ts.StringLiteral).text;
    const req = `require(${JSON.stringify(spec)})`;
    const c = st.importClause;
    const parts: string[] = [];
    if (!c) parts.push(`${req};`);
    else if (!c.isTypeOnly) {
      if (c.name) parts.push(`const ${c.name.text} = (${req}).default ?? ${req};`);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) parts.push(`const ${c.namedBindings.name.text} = ${req};`);
      if (c.namedBindings && ts.isNamedImports(c.namedBindings)) {
        const names = c.namedBindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ? `${e.propertyName.text}: ${e.name.text}` : e.name.text));
        if (names.length) parts.push(`const { ${names.join(', ')} } = ${req};`);
      }
    }
    out += source.slice(at, st.getStart(sf)) + parts.join(' ');
    at = st.getEnd();
  }
  return out + source.slice(at);
}

/**
 * The parts of a tests cell for each grading phase: `visible` is what the student was given; `hidden` is
 * the whole cell with each hidden region switched on by a call (so only its checks count), or null when the
 * cell has no hidden tests.
 *
 * @example
 * splitTestsCell("check('a', 1, f);\n// BEGIN HIDDEN TESTS\ncheck('b', 1, g);\n// END HIDDEN TESTS").hidden !== null
 */
export function splitTestsCell(source: string): { visible: string; hidden: string | null } {
  const lines = source.split('\n');
  if (!lines.some((l) => l.trim() === MARKERS.beginHidden)) return { visible: source, hidden: null };
  const region = (l: string) => (l.trim() === MARKERS.beginHidden ? '__og_region(true);' : l.trim() === MARKERS.endHidden ? '__og_region(false);' : l);
  return { visible: stripHidden(source), hidden: lines.map(region).join('\n') };
}

/**
 * Compiles one trusted cell.
 *
 * @param source TypeScript of the cell (from the assignment source)
 * @param trustedNames names declared by earlier trusted cells (available in the runner's scope)
 * @param studentNames the student's top-level names (declared in the submission's cells)
 * @example
 * const p = compileTrusted("check('x', 1, () => expect.equal(f(1), 2));", [], ['f']);
 */
export function compileTrusted(source: string, trustedNames: Iterable<string>, studentNames: Iterable<string>): TrustedProgram {
  const declares = declaredNames(source);
  const own = new Set(declares);
  const mentioned = mentionedNames(source);
  const trusted = new Set(trustedNames);
  const lines: string[] = [];
  const api = [...API_NAMES].filter((n) => !own.has(n)).map((n) => `${n} = __og.${n}`);
  lines.push(`const ${api.concat(['__og_region = __og.region']).join(', ')};`);
  const fromScope = [...trusted].filter((n) => !own.has(n) && !API_NAMES.has(n) && mentioned.has(n));
  if (fromScope.length) lines.push(`let { ${fromScope.join(', ')} } = __og.scope;`);
  const fromStudent = [...new Set(studentNames)].filter((n) => mentioned.has(n) && !own.has(n) && !trusted.has(n) && !API_NAMES.has(n) && !GLOBAL_NAMES.has(n) && /^[A-Za-z_$][\w$]*$/.test(n) && !n.startsWith('__og'));
  for (const n of fromStudent) lines.push(`let ${n} = __og.student(${JSON.stringify(n)});`);
  const body = ts.transpileModule(importsToRequire(source), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false, isolatedModules: true },
    reportDiagnostics: false,
  }).outputText.replace(/^export \{\};?\s*$/m, '');
  const keep = declares.filter((n) => !API_NAMES.has(n)).map((n) => `${JSON.stringify(n)}: typeof ${n} === 'undefined' ? undefined : ${n}`);
  const js = `(async function (__og) {\n${lines.join('\n')}\n${body}\n;__og.keep({ ${keep.join(', ')} });\n})`;
  return { js, declares };
}

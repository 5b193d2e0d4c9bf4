/**
 * The kernel image: a V8 startup snapshot of a Node process that has already loaded the TypeScript compiler
 * tslab uses and parsed the declaration files every grading kernel reads (the ES library, @types, and the
 * optilab package with its dependencies). Starting a kernel from it skips about a second of CPU per kernel,
 * which is most of what grading costs. Nothing of any student is in it: it is built by the grader from
 * read-only files, before any submission runs, and every kernel still starts as a fresh process.
 *
 * Plain JavaScript, run by `node --snapshot-blob <blob> --build-snapshot kernel-image-build.js` with its settings
 * in OPTILAB_KERNEL_IMAGE (see ../kernel/kernel-image.ts). During the build only Node's built-in modules can be
 * required, so TypeScript is evaluated from its source text.
 *
 * Correctness does not depend on the image being up to date: TypeScript asks for a pre-parsed file only by
 * its exact name, and gets it only when the text on disk is identical, with the same parse options, and
 * only once (the program owns it after that). Any other request is parsed as usual.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');

const config = JSON.parse(process.env.OPTILAB_KERNEL_IMAGE || '{}');
for (const key of ['typescript', 'probeDir', 'imports', 'manifest']) {
  if (!config[key]) throw new Error(`OPTILAB_KERNEL_IMAGE: missing "${key}"`);
}

// A hook at the top of TypeScript's createSourceFile (the one function every parse goes through).
const PARSE_HEAD = 'function createSourceFile(fileName, sourceText, languageVersionOrOptions, setParentNodes = false, scriptKind) {';
const PARSE_HOOK = 'const pre = globalThis.__optilabKernelImage && globalThis.__optilabKernelImage.take(fileName, sourceText, languageVersionOrOptions, setParentNodes, scriptKind); if (pre) return pre;';

function loadTypeScript(file) {
  const source = fs.readFileSync(file, 'utf8');
  const parts = source.split(PARSE_HEAD);
  if (parts.length !== 2) throw new Error(`${file}: createSourceFile not found once (an unsupported TypeScript version)`);
  const module = { exports: {} };
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${parts[0]}${PARSE_HEAD}\n${PARSE_HOOK}${parts[1]}\n})`, { filename: file });
  wrapper(module.exports, require, module, file, path.dirname(file));
  return module.exports;
}

const ts = loadTypeScript(config.typescript);

// tslab's compiler options (tslab/dist/converter.js): a mismatch only costs speed, never correctness.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const es = nodeMajor >= 18 ? 'ES2022' : nodeMajor >= 16 ? 'ES2021' : 'ES2020';
const options = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
  target: ts.ScriptTarget[es],
  lib: [`lib.${es.toLowerCase()}.d.ts`],
  declaration: true,
  noImplicitUseStrict: true,
  experimentalDecorators: true,
  resolveJsonModule: true,
  jsx: ts.JsxEmit.React,
  typeRoots: ts.getDefaultTypeRoots(config.probeDir, ts.sys) || [],
  allowJs: true,
  checkJs: true,
  skipLibCheck: true,
  rootDir: config.probeDir,
  outDir: 'outDir',
};

/** Every declaration file a kernel reads after importing the configured modules (found with a probe program). */
function declarationFiles() {
  const probe = path.join(config.probeDir, '__probe__.ts');
  const text = config.imports.map((m, i) => `import * as _${i} from ${JSON.stringify(m)};`).join('\n');
  const host = ts.createCompilerHost(options);
  // Never ts.sys.getCurrentDirectory(): TypeScript memoizes it, and the image would hand this folder to
  // every kernel as its working directory.
  host.getCurrentDirectory = () => config.probeDir;
  const readFile = host.readFile;
  const fileExists = host.fileExists;
  host.readFile = (f) => (f === probe ? text : readFile.call(host, f));
  host.fileExists = (f) => f === probe || fileExists.call(host, f);
  const program = ts.createProgram([probe], options, host);
  return program.getSourceFiles().map((f) => f.fileName).filter((f) => f.endsWith('.d.ts'));
}

// Parsed afresh (not the probe program's objects, which carry that program's resolutions).
const parsed = new Map();
const manifest = [];
for (const file of declarationFiles()) {
  const text = fs.readFileSync(file, 'utf8');
  parsed.set(file, ts.createSourceFile(file, text, options.target, false));
  const st = fs.statSync(file);
  manifest.push([file, st.size, st.mtimeMs]);
}
fs.writeFileSync(config.manifest, JSON.stringify({ typescript: config.typescript, files: manifest }));

// served: files handed out; parsed: requests TypeScript parses itself; missed: declaration files among those
const stats = { served: 0, parsed: 0, missed: [] };
globalThis.__optilabKernelImage = {
  stats,
  /** The pre-parsed file for this exact request, or undefined (then TypeScript parses it). */
  take(fileName, text, languageVersionOrOptions, setParentNodes, scriptKind) {
    const file = parsed.get(fileName);
    const opts = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    if (!file || file.text !== text || setParentNodes || scriptKind !== undefined || opts.languageVersion !== file.languageVersion || opts.impliedNodeFormat !== undefined) {
      stats.parsed++;
      if (fileName.endsWith('.d.ts') && stats.missed.length < 100) stats.missed.push(fileName);
      return undefined;
    }
    parsed.delete(fileName);
    // The caller's module detection decides whether the file is a module, as a fresh parse would.
    if (opts.setExternalModuleIndicator) opts.setExternalModuleIndicator(file);
    stats.served++;
    return file;
  },
};

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // State of the build that would leak into the kernel: refuse to start rather than run differently.
  if (ts.sys.getCurrentDirectory() !== process.cwd()) {
    process.stderr.write(`kernel image: TypeScript kept the build's working directory (${ts.sys.getCurrentDirectory()}); rebuild it\n`);
    process.exit(70);
  }
  // Node drops Error.stackTraceLimit from a snapshot and puts it back without a value: without this,
  // errors would have no stack (V8's default is 10).
  if (typeof Error.stackTraceLimit !== 'number') Error.stackTraceLimit = 10;
  // Hand the loaded compiler to whoever requires it (tslab), then run the script named on the command line.
  const Module = require('module');
  const cached = new Module(config.typescript, null);
  cached.filename = config.typescript;
  cached.paths = Module._nodeModulePaths(path.dirname(config.typescript));
  cached.exports = ts;
  cached.loaded = true;
  Module._cache[config.typescript] = cached;
  Module.runMain(process.argv[1]);
});

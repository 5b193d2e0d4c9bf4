#!/usr/bin/env node
// Builds the optilab lab offline from this folder's node_modules:
//   ext  the course lab's extensions as prebuilt (federated) JupyterLab 4 extensions -> build/labextensions/:
//        optilab-viz (@optilab/jupyterlab-viz, the visualizers) and optilab-submit (@optilab/jupyterlab-submit,
//        the hand-in Submit button)
//   app  the JupyterLab 4 app (module-federation host) -> build/lab/{static,schemas,themes,settings}
// `node build.js` builds both parts; each extension and the app are skipped when a hash of their inputs
// matches the last build (`--force` rebuilds). Prints what it does.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HERE = __dirname;
const BUILD = path.join(HERE, 'build');
const VIZ = path.join(HERE, '..', 'src', 'viz');
/**
 * The prebuilt extensions: their folder here (package.json with a `jupyterlab` field, src/index.ts bundled to
 * lib/index.js), what else their bundle reads, and the packages left to the app (shared at run time) or, for
 * plotly, to a chunk of the extension's own.
 */
const EXTENSIONS = [
  { dir: 'optilab-viz', what: 'the visualizers (MIME renderers)', inputs: [VIZ], external: ['@jupyterlab/*', '@lumino/*', 'plotly.js-cartesian-dist-min'] },
  { dir: 'optilab-submit', what: 'the hand-in (notebook Submit button)', inputs: [], external: ['@jupyterlab/*', '@lumino/*'] },
];
const pkg = require('./package.json');
const force = process.argv.includes('--force');
const parts = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (p) => parts.length === 0 || parts.includes(p);

function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

function hashOf(files) {
  const h = crypto.createHash('sha256');
  for (const f of files.sort()) h.update(path.relative(HERE, f)).update(fs.readFileSync(f));
  return h.digest('hex');
}

function upToDate(name, hash, output) {
  const stamp = path.join(BUILD, `.${name}.hash`);
  if (!force && fs.existsSync(output) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    console.log(`lab build: ${name} is up to date`);
    return true;
  }
  return false;
}

function stamp(name, hash) {
  fs.mkdirSync(BUILD, { recursive: true });
  fs.writeFileSync(path.join(BUILD, `.${name}.hash`), hash);
}

function version(name) {
  return require(require.resolve(`${name}/package.json`, { paths: [HERE] })).version;
}

/** The packages the app shares with prebuilt extensions (all singletons), with their installed versions. */
function sharedPackages() {
  const names = [];
  for (const scope of ['@jupyterlab', '@lumino']) {
    for (const n of fs.readdirSync(path.join(HERE, 'node_modules', scope))) {
      if (n.endsWith('-extension') || n === 'builder') continue;
      names.push(`${scope}/${n}`);
    }
  }
  names.push(...pkg.jupyterlab.sharedExtra);
  return Object.fromEntries(names.sort().map((n) => [n, version(n)]));
}

/** The "core" package.json that build-labextension reads: shared dependencies and singletons. */
function writeCorePackage(shared) {
  const dir = path.join(BUILD, 'core');
  fs.mkdirSync(dir, { recursive: true });
  const data = {
    name: '@optilab/lab-core',
    version: pkg.version,
    private: true,
    // Major-version ranges: the prebuilt extension then accepts the packages of any JupyterLab 4 release.
    dependencies: Object.fromEntries(Object.entries(shared).map(([n, v]) => [n, `^${v.split('.')[0]}.0.0`])),
    jupyterlab: { singletonPackages: Object.keys(shared) },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(data, null, 2) + '\n');
  return dir;
}

function buildExtension(ext, core) {
  const dir = path.join(HERE, ext.dir);
  const extPkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const inputs = [...filesUnder(path.join(dir, 'src')), path.join(dir, 'package.json'), ...ext.inputs.flatMap(filesUnder), path.join(HERE, 'package-lock.json'), __filename];
  const hash = hashOf(inputs);
  const out = path.resolve(dir, extPkg.jupyterlab.outputDir);
  const name = `ext-${ext.dir}`;
  if (upToDate(name, hash, path.join(out, 'package.json'))) return;
  const t0 = Date.now();
  console.log(`lab build: bundling ${extPkg.name}, ${ext.what} (esbuild) -> ${ext.dir}/lib/index.js`);
  fs.rmSync(path.join(dir, 'lib'), { recursive: true, force: true });
  require('esbuild').buildSync({
    entryPoints: [path.join(dir, 'src', 'index.ts')],
    outdir: path.join(dir, 'lib'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    external: ext.external,
    logLevel: 'warning',
  });
  console.log(`lab build: building the prebuilt ${extPkg.name} (@jupyterlab/builder build-labextension)`);
  execFileSync(process.execPath, [require.resolve('@jupyterlab/builder/lib/build-labextension.js'), '--core-path', core, dir], { stdio: 'inherit', cwd: HERE });
  stamp(name, hash);
  console.log(`lab build: ${extPkg.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${path.relative(HERE, out)}`);
}

function buildExtensions(shared) {
  const core = writeCorePackage(shared);
  for (const ext of EXTENSIONS) buildExtension(ext, core);
}

function writeGenerated() {
  const dir = path.join(HERE, 'app', 'generated');
  fs.mkdirSync(dir, { recursive: true });
  const list = (names) => names.map((n) => `  () => import('${n}'),`).join('\n');
  fs.writeFileSync(path.join(dir, 'plugins.js'),
    `// Generated by build.js from package.json "jupyterlab" lists.\nexport const extensions = [\n${list(pkg.jupyterlab.extensions)}\n];\n` +
    `export const mimeExtensions = [\n${list(pkg.jupyterlab.mimeExtensions)}\n];\n`);
  return dir;
}

async function buildApp(shared) {
  const inputs = [...filesUnder(path.join(HERE, 'app')).filter((f) => !f.includes(`${path.sep}generated${path.sep}`)), path.join(HERE, 'package.json'), path.join(HERE, 'package-lock.json'), __filename];
  const hash = hashOf(inputs);
  const out = path.join(BUILD, 'lab');
  if (upToDate('app', hash, path.join(out, 'static', 'bundle.js'))) return;
  const t0 = Date.now();
  console.log('lab build: building the JupyterLab app (webpack, module-federation host) -> build/lab');
  const generated = writeGenerated();
  fs.rmSync(out, { recursive: true, force: true });
  const { Build } = require('@jupyterlab/builder');
  const themeConfigs = Build.ensureAssets({
    packageNames: [...pkg.jupyterlab.extensions, ...pkg.jupyterlab.mimeExtensions],
    output: generated,
    schemaOutput: out,
    themeOutput: out,
  });
  fs.mkdirSync(path.join(out, 'settings'), { recursive: true });
  fs.writeFileSync(path.join(out, 'settings', 'page_config.json'), JSON.stringify({ disabledExtensions: [] }, null, 2));
  const webpack = require('webpack');
  const config = require('./app/webpack.config.js')({ shared, output: path.join(out, 'static') });
  const stats = await new Promise((resolve, reject) => webpack([config, ...themeConfigs], (err, s) => (err ? reject(err) : resolve(s))));
  if (stats.hasErrors()) {
    console.error(stats.toString({ all: false, errors: true, errorDetails: true }));
    throw new Error('webpack failed');
  }
  stamp('app', hash);
  console.log(`lab build: app ready in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${path.relative(HERE, out)}`);
}

async function main() {
  const shared = sharedPackages();
  if (want('ext')) buildExtensions(shared);
  if (want('app')) await buildApp(shared);
}

main().catch((e) => {
  console.error(`lab build failed: ${e.message}`);
  process.exit(1);
});

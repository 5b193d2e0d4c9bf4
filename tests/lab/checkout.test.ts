/**
 * The course lab's prebuilt extensions in a checkout (src/lab/checkout.ts): the list matches the extension
 * packages of labextension/, and installing copies every one of them (or, if one is not built, none).
 * Runs on a fake checkout: no lab build needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers';
import { EXT_NAMES, installExtensions, labPaths, missingExtensions, SUBMIT_EXT_NAME, VIZ_EXT_NAME } from '../../src/lab/checkout';

/** The folders of labextension/ holding a JupyterLab extension package (package.json with a `jupyterlab` field). */
function extensionPackages(): { folder: string; pkg: { name: string; jupyterlab: { outputDir: string; extension?: unknown; mimeExtension?: unknown } } }[] {
  const lab = path.join(ROOT, 'labextension');
  return fs.readdirSync(lab, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(lab, e.name, 'package.json')))
    .map((e) => ({ folder: path.join(lab, e.name), pkg: JSON.parse(fs.readFileSync(path.join(lab, e.name, 'package.json'), 'utf8')) }))
    .filter((p) => p.pkg.jupyterlab);
}

/** A checkout with only the build folders of the given extensions (each a package.json and one static file). */
function fakeCheckout(names: readonly string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-checkout-'));
  for (const name of names) {
    const dir = path.join(root, 'labextension', 'build', 'labextensions', ...name.split('/'));
    fs.mkdirSync(path.join(dir, 'static'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name }));
    fs.writeFileSync(path.join(dir, 'static', 'remoteEntry.js'), `// ${name}\n`);
  }
  return root;
}

test('the extensions are the visualizers and the hand-in, each its own package of labextension/ built where labPaths says', () => {
  assert.deepEqual(EXT_NAMES, ['@optilab/jupyterlab-viz', '@optilab/jupyterlab-submit']);
  assert.equal(VIZ_EXT_NAME, '@optilab/jupyterlab-viz');
  assert.equal(SUBMIT_EXT_NAME, '@optilab/jupyterlab-submit');
  const packages = extensionPackages();
  assert.deepEqual(packages.map((p) => p.pkg.name).sort(), [...EXT_NAMES].sort(), 'every extension package of labextension/ is built and installed');
  const built = new Map(labPaths(ROOT).extensions.map((e) => [e.name as string, e.dir]));
  for (const { folder, pkg } of packages) {
    assert.equal(path.resolve(folder, pkg.jupyterlab.outputDir), built.get(pkg.name), `${pkg.name}: jupyterlab.outputDir is where labPaths looks`);
    assert.ok(fs.existsSync(path.join(folder, 'src', 'index.ts')) && fs.existsSync(path.join(folder, 'tsconfig.json')), `${pkg.name}: src/index.ts and tsconfig.json`);
  }
  const byName = Object.fromEntries(packages.map((p) => [p.pkg.name, p.pkg.jupyterlab]));
  assert.equal(byName[VIZ_EXT_NAME].mimeExtension, true);
  assert.equal(byName[VIZ_EXT_NAME].extension, undefined, 'the visualizer package carries no plugin (Submit moved out)');
  assert.equal(byName[SUBMIT_EXT_NAME].extension, true);
  assert.equal(byName[SUBMIT_EXT_NAME].mimeExtension, undefined);
});

test('installExtensions copies every extension into <prefix>/share/jupyter/labextensions, replacing older copies', () => {
  const root = fakeCheckout(EXT_NAMES);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prefix-'));
  try {
    assert.deepEqual(missingExtensions(root), []);
    const stale = path.join(prefix, 'share', 'jupyter', 'labextensions', '@optilab', 'jupyterlab-viz', 'static', 'old.js');
    fs.mkdirSync(path.dirname(stale), { recursive: true });
    fs.writeFileSync(stale, '');
    const dests = installExtensions(prefix, root);
    assert.deepEqual(dests, EXT_NAMES.map((n) => path.join(prefix, 'share', 'jupyter', 'labextensions', ...n.split('/'))));
    for (const [i, name] of EXT_NAMES.entries()) {
      assert.equal(JSON.parse(fs.readFileSync(path.join(dests[i], 'package.json'), 'utf8')).name, name);
      assert.ok(fs.existsSync(path.join(dests[i], 'static', 'remoteEntry.js')));
    }
    assert.ok(!fs.existsSync(stale), 'an older copy is replaced, not merged');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test('an extension that is not built: installExtensions names it and copies nothing', () => {
  const root = fakeCheckout([VIZ_EXT_NAME]);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'optilab-prefix-'));
  try {
    assert.deepEqual(missingExtensions(root).map((e) => e.name), [SUBMIT_EXT_NAME]);
    assert.throws(() => installExtensions(prefix, root), /the hand-in \(Submit\) extension \(@optilab\/jupyterlab-submit\) is not built .*: run `bash scripts\/setup\.sh` first/);
    assert.ok(!fs.existsSync(path.join(prefix, 'share')), 'nothing copied');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

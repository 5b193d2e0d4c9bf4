// The optilab lab: JupyterLab 4 assembled from npm @jupyterlab packages, plus every prebuilt (federated)
// extension found in share/jupyter/labextensions (the optilab visualizers among them).
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { extensions, mimeExtensions } from './generated/plugins.js';
import './generated/style.js';

function pluginsOf(mod) {
  const exp = Object.prototype.hasOwnProperty.call(mod, '__esModule') || mod.default ? mod.default : mod;
  return Array.isArray(exp) ? exp : [exp];
}

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.onerror = () => reject(new Error(`could not load ${url}`));
    s.onload = resolve;
    s.async = true;
    document.head.appendChild(s);
    s.src = url;
  });
}

/** Loads the prebuilt extensions listed in the page config; one broken extension does not stop the lab. */
async function federatedExtensions() {
  const list = JSON.parse(PageConfig.getOption('federated_extensions') || '[]');
  const base = PageConfig.getOption('fullLabextensionsUrl');
  const plugins = [];
  const mimes = [];
  // eslint-disable-next-line no-undef
  await __webpack_init_sharing__('default');
  await Promise.all(list.map(async (ext) => {
    try {
      await loadScript(URLExt.join(base, ext.name, ext.load));
      const container = window._JUPYTERLAB[ext.name];
      // eslint-disable-next-line no-undef
      await container.init(__webpack_share_scopes__.default);
      const get = async (module) => (await container.get(module))();
      if (ext.style) await get(ext.style);
      if (ext.extension) plugins.push(...pluginsOf(await get(ext.extension)));
      if (ext.mimeExtension) mimes.push(await get(ext.mimeExtension));
    } catch (err) {
      console.error(`optilab lab: extension ${ext.name} failed to load`, err);
    }
  }));
  return { plugins, mimes };
}

async function main() {
  const [core, coreMimes, federated] = await Promise.all([
    Promise.all(extensions.map((load) => load())),
    Promise.all(mimeExtensions.map((load) => load())),
    federatedExtensions(),
  ]);
  const lab = new JupyterLab({ mimeExtensions: [...coreMimes, ...federated.mimes] });
  // Plugins whose required services this lab does not ship (language servers, metadata forms), and the
  // news-announcement prompt (no network in a course lab).
  const skipIds = new Set(['@jupyterlab/notebook-extension:update-raw-mimetype', '@jupyterlab/apputils-extension:announcements']);
  const skip = (p) => p.id.includes(':language-server') || skipIds.has(p.id);
  lab.registerPlugins([...core.map(pluginsOf).flat(), ...federated.plugins].filter((p) => !skip(p)));
  // Exposed like JupyterLab's own `window.jupyterapp`, for the browser tests and for debugging in the console.
  window.jupyterapp = lab;
  await lab.start({ ignorePlugins: [] });
  await lab.restored;
  document.body.dataset.optilabLab = 'ready';
}

main().catch((err) => console.error('optilab lab failed to start', err));

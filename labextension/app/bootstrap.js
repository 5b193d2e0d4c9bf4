// Entry of the lab bundle. The public path must be set before anything else loads (CSS, chunks), and the
// app itself loads asynchronously so module federation can share packages with prebuilt extensions.
function pageOption(name) {
  const el = document.getElementById('jupyter-config-data');
  const data = el ? JSON.parse(el.textContent || '{}') : {};
  return data[name] || '';
}
// eslint-disable-next-line no-undef
__webpack_public_path__ = pageOption('fullStaticUrl') + '/';

import('./index.js').catch((err) => {
  console.error('optilab lab failed to start', err);
  document.body.textContent = 'The optilab lab failed to start: ' + err;
});

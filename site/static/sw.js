// The course site's service worker: the site keeps working offline after a first visit. Network first (so a
// new build is seen as soon as the site is reachable), and every successful same-origin GET is kept in the
// cache for when it is not: pages, bundles, notebook data, the tfjs and ONNX Runtime wasm binaries. Requests
// to other hosts are left alone (the site makes none). The datasets under /data/ are kept by the notebook
// runner's own cache (runner/datasets.ts, Cache API 'optilab-datasets-v1'), so they are not stored twice.
const CACHE = 'optilab-site-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/data/') || req.headers.has('range')) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok && res.type === 'basic') event.waitUntil(cache.put(req, res.clone()));
        return res;
      } catch (err) {
        // offline: the stored copy, for a page also under its other spelling (/x and /x/ are the same page)
        const hit = (await cache.match(req, { ignoreSearch: req.mode === 'navigate' })) ??
          (req.mode === 'navigate' ? await cache.match(url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : `${url.pathname}/`) : undefined);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});

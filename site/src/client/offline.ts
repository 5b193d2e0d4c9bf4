/**
 * Registers the site's service worker (static/sw.js) in production builds, so pages, bundles and the notebook
 * runtime a reader has loaded once keep working offline. Nothing is fetched from any other host.
 */
import ExecutionEnvironment from '@docusaurus/ExecutionEnvironment';

if (ExecutionEnvironment.canUseDOM && 'serviceWorker' in navigator && process.env.NODE_ENV === 'production') {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((e: Error) => console.warn(`offline mode unavailable: ${e.message}`));
  });
}

export {};

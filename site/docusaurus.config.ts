// The course site: the "Model Optimizations" chapter, its live figures and exercises, and the notebooks.
import path from 'node:path';
import type { Config } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';

const LIB_DIST = path.resolve(__dirname, '../src/dist');

const config: Config = {
  title: 'optilab',
  tagline: 'Model Optimizations: pruning, distillation, low rank, numerics, quantization, deployment',
  url: 'http://127.0.0.1:3000',
  baseUrl: '/',
  favicon: 'img/favicon.svg',
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'throw',
  markdown: { hooks: { onBrokenMarkdownLinks: 'throw' }, mdx1Compat: { comments: true, admonitions: true, headingIds: true } },
  trailingSlash: false,
  future: { v4: true, faster: true },
  // The service worker that keeps visited pages and the notebook runtime working offline (static/sw.js).
  clientModules: ['./src/client/offline.ts'],
  i18n: { defaultLocale: 'en', locales: ['en'] },
  presets: [
    [
      'classic',
      {
        docs: {
          routeBasePath: '/',
          sidebarPath: './sidebars.ts',
          remarkPlugins: [remarkMath],
          rehypePlugins: [rehypeKatex],
        },
        blog: false,
        pages: false,
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  themes: [
    [
      '@easyops-cn/docusaurus-search-local',
      { hashed: true, indexBlog: false, indexPages: false, docsRouteBasePath: '/', highlightSearchTermsOnTargetPage: true },
    ],
  ],
  plugins: [
    function optilabAlias() {
      return {
        name: 'optilab-alias',
        configureWebpack() {
          // The compiled library (`npm run build` at the repo root), through its public entries only (the same
          // as src/package.json "exports"); anything deeper (`@optilab/quantize/affine`) does not resolve, and
          // tests/architecture.test.ts names such imports:
          // - @optilab/core: the isomorphic library (src/core.ts), tfjs included. The notebook runner's worker
          //   bundles it (runner/optilab-browser.ts); it is not for the pages' main thread.
          // - @optilab/viz: payload contracts and payload -> figure (src/viz/index.ts); no tfjs.
          // - @optilab/lite: the tfjs-free part of core (src/lite.ts: number formats, scalar quantization, seeded
          //   random, the exercise format), kept as a door of its own for the chapter pages' figures and
          //   exercises and the exercise worker: the library is CommonJS, which the bundler cannot tree-shake,
          //   so importing core there bundles tfjs into every chapter page (measured: first-load JS 661 ->
          //   845 KB gzipped, over the 800 KB budget of tests/browser/site.test.ts). Everything in it is in core.
          // One copy of tfjs-core (the root's, the one the library uses) so the WebGL backend installed in site/
          // registers with the same engine.
          const rootModules = path.resolve(__dirname, '../node_modules');
          return {
            resolve: {
              alias: {
                '@optilab/core$': path.join(LIB_DIST, 'core.js'),
                '@optilab/viz$': path.join(LIB_DIST, 'viz', 'index.js'),
                '@optilab/lite$': path.join(LIB_DIST, 'lite.js'),
                // The native addon loader (fs, path, require of a .node file) has a browser counterpart: the
                // library's integer path and training kernels ask it and fall back to TypeScript / wasm.
                [path.join(LIB_DIST, 'backend', 'native')]: path.resolve(__dirname, 'src/components/runner/native-browser.ts'),
                '@tensorflow/tfjs-core$': path.join(rootModules, '@tensorflow/tfjs-core'),
                '@tensorflow/tfjs-core/dist': path.join(rootModules, '@tensorflow/tfjs-core/dist'),
                '@tensorflow/tfjs-backend-cpu$': path.join(rootModules, '@tensorflow/tfjs-backend-cpu'),
              },
            },
          };
        },
      };
    },
  ],
  themeConfig: {
    colorMode: { defaultMode: 'light', respectPrefersColorScheme: true },
    navbar: {
      title: 'optilab',
      items: [
        { type: 'docSidebar', sidebarId: 'chapter', position: 'left', label: 'Chapter' },
        { type: 'docSidebar', sidebarId: 'notebooks', position: 'left', label: 'Notebooks' },
        { to: '/progress', label: 'Progress', position: 'right' },
      ],
    },
    footer: {
      style: 'dark',
      copyright: 'optilab course site: prose written for this course; numbers from runs of the optilab library.',
    },
    prism: { additionalLanguages: ['bash', 'json'] },
  } satisfies Preset.ThemeConfig,
};

export default config;

// The web console's build: console/ → dist/console/, served by Intake at `/` (src/http/console.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // The SDK is built from its source in this repository (clients/sdk), like the console.
  resolve: { alias: { '@intake/sdk': fileURLToPath(new URL('../clients/sdk/src/index.ts', import.meta.url)) } },
  // JSX for Preact, compiled by Vite's own transform (no Babel, no plugin).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Nothing inlined as data: URIs: the page's CSP allows files from its own origin only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    reportCompressedSize: false,
    // hls.js is one chunk of ~570 kB, fetched only when a video's details are first opened.
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000', '/files': 'http://127.0.0.1:3000' } },
});

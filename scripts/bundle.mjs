#!/usr/bin/env node
// Bundles the compiled server (dist/src/main/cli.js, tsc's output: the code the tests run)
// into dist/intake/ with esbuild: cli.js and the chunks its lazy imports load. Node then
// reads a handful of files at start instead of ~1,200 modules (kysely, typebox, fastify…),
// which halved the time to the first /healthz and took ~13 MB off an idle server
// (docs/BENCHMARKS.md, "footprint"). npm start, the systemd units and the Dockerfile run it.
//
// Left out of the bundle, loaded from node_modules as usual: native addons (better-sqlite3,
// sharp), the lazily loaded scale-out clients, and packages that find their own files
// through __dirname (Swagger UI's assets, pino's worker threads).
//
// Child processes and threads (media/image-child, media/render-child, db/checkpoint-thread)
// are not bundled: they start from their compiled files in dist/src/, found from the
// module that starts them. That module's `import.meta.url` is rewritten to its own file in
// dist/src/ (below), so every path it computes is the same as when it runs unbundled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'intake');
const external = [
  'better-sqlite3', 'sharp', 'pg', 'ioredis', 'bullmq', '@aws-sdk/*',
  '@fastify/swagger', '@fastify/swagger-ui', '@fastify/static', 'pino', 'thread-stream',
];

/** `import.meta.url` of a module from dist/src/ → that module's own URL, from wherever its chunk lands. */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      // Every chunk is written flat into outdir, so one relative path fits them all.
      const rel = path.relative(outdir, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: path.join(root, 'dist', 'src', 'main', 'cli.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  chunkNames: '[name]-[hash]',
  // CommonJS packages inside an ES module bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __intakeRequire } from 'node:module'; const require = __intakeRequire(import.meta.url);" },
  plugins: [ownUrl],
  logLevel: 'warning',
});

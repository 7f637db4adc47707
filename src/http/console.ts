/**
 * The web console (console/, built by Vite into dist/console/) served at `/`, with its own
 * strict headers: a CSP that allows scripts and styles from Intake only, and images, video
 * and uploads to and from the storage origin the signed URLs point at (Intake itself on
 * local disk, the bucket's endpoint on S3). The console speaks only the public API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ObjectStorage } from '../storage/object-storage.js';

/** `<project>/dist/console`: the first folder above this module holding package.json (src/http or dist/src/http). */
export function defaultConsoleDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'console');
}

/**
 * The origin of the URLs the storage signs, from a real (never used) signature: whatever the
 * driver's settings (public URL, S3 endpoint, path or virtual-host style), it cannot drift.
 */
export async function storageOrigin(storage: ObjectStorage, now: Date): Promise<string> {
  const url = await storage.presignGet('console/origin-probe', {
    expiresAt: new Date(now.getTime() + 60_000),
    contentType: 'image/png',
    filename: 'probe.png',
    disposition: 'inline',
  });
  return new URL(url).origin;
}

function consoleHeaders(mediaOrigin: string): Record<string, string> {
  const media = `'self' ${mediaOrigin}`;
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media}`,
    // hls.js plays through Media Source Extensions: the video element's source is a blob: URL.
    `media-src ${media} blob:`,
    // The API is this origin; the bytes go to the signed upload URLs.
    `connect-src ${media}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

export function consoleRoutes(opts: { dir: string; mediaOrigin: string }) {
  return async (app: FastifyInstance) => {
    const headers = consoleHeaders(opts.mediaOrigin);
    if (!fs.existsSync(path.join(opts.dir, 'index.html'))) {
      // A source checkout that was never built: say how, rather than a bare 404.
      app.get('/', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(404)
          .headers(headers)
          .type('text/plain; charset=utf-8')
          .send('The web console is not built: run `npm run build` (npm start builds it).\n'),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: opts.dir,
      prefix: '/',
      // One route per built file (and `/` for index.html): nothing else under `/` changes hands.
      wildcard: false,
      decorateReply: false,
      index: ['index.html'],
      // Hashed file names never change; index.html is revalidated so a new build shows at once.
      cacheControl: false,
      setHeaders(reply: FastifyReply, file: string) {
        const hashed = path.relative(opts.dir, file).startsWith(`assets${path.sep}`);
        void reply.headers({ ...headers, 'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache' });
      },
    });
  };
}

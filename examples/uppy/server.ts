/**
 * The example app's server: it holds Intake's API key, answers the pages' requests
 * (tus-routes.ts for the Dashboard + tus page, uppy-routes.ts for the aws-s3 page at /s3.html)
 * and serves the pages Vite built into dist/.
 *
 *   npx vite build examples/uppy
 *   INTAKE_URL=http://127.0.0.1:3000 INTAKE_API_KEY=sk_… npx tsx examples/uppy/server.ts
 *   → http://127.0.0.1:5180
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { intakeBackend } from '../../clients/sdk/src/intake-backend.js';
import { tusRoutes } from './tus-routes.js';
import { uppyRoutes } from './uppy-routes.js';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

export interface ExampleServerOptions {
  intakeUrl: string;
  apiKey: string;
  /** The folder Vite built (default examples/uppy/dist). */
  staticDir?: string;
  port?: number;
  host?: string;
}

export async function startExampleServer(options: ExampleServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const staticDir = path.resolve(options.staticDir ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist'));
  const tus = tusRoutes(options.intakeUrl, options.apiKey);
  const uppy = uppyRoutes(intakeBackend({ baseUrl: options.intakeUrl, apiKey: options.apiKey }));
  const server = http.createServer(async (req, res) => {
    if (await tus(req, res)) return;
    if (await uppy(req, res)) return;
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://app.invalid').pathname);
    const file = path.join(staticDir, pathname === '/' ? 'index.html' : pathname);
    if (req.method !== 'GET' || !file.startsWith(staticDir + path.sep)) return void res.writeHead(404).end();
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const apiKey = process.env.INTAKE_API_KEY;
  if (!apiKey) {
    process.stderr.write('Set INTAKE_API_KEY to a namespace key (intake namespace create demo prints one).\n');
    process.exit(2);
  }
  const started = await startExampleServer({ intakeUrl: process.env.INTAKE_URL ?? 'http://127.0.0.1:3000', apiKey, port: Number(process.env.PORT ?? 5180) });
  process.stdout.write(`Uppy example on ${started.url}\n`);
}

/**
 * The real Intake, started the way an operator starts it (`intake serve` from dist/) in a
 * temp data folder, plus the few API calls the benchmarks need to set up.
 */
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startServer, type Cleanup, type Server } from './lib/children.js';

/** The bundled server (scripts/bundle.mjs), as npm start runs it. */
export const CLI = fileURLToPath(new URL('../intake/cli.js', import.meta.url));

/** The Node flags of `npm start` (package.json), so the bench runs Intake exactly as operators do. */
export function startFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
  const match = /^node((?: --\S+)*) dist\/intake\/cli\.js serve$/.exec(pkg.scripts.start);
  if (!match) throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return (match[1] ?? '').trim().split(' ').filter(Boolean);
}
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

export interface IntakeServer extends Server {
  dataDir: string;
  /** A namespace API key. */
  key: string;
}

/** Intake needs its real port up front: the signed URLs it hands out embed it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function call<T>(url: string, key: string, route: string, json: unknown): Promise<T> {
  const res = await fetch(url + route, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  const body = (await res.json()) as { data: T };
  if (!res.ok) throw new Error(`POST ${route} → ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** `cli` may point at another build's dist/intake/cli.js (or its unbundled dist/src/main/cli.js), to compare two builds in one run. */
/** `flags`: Node flags instead of the start script's (an A/B of a runtime setting). */
export async function startIntake(cleanup: Cleanup, env: Record<string, string> = {}, cli = CLI, flags = startFlags()): Promise<IntakeServer> {
  const dataDir = await cleanup.tempDir('intake-bench-');
  const server = await startServer(cleanup, 'intake', cli, ['serve'], {
    INTAKE_DATA_DIR: dataDir,
    INTAKE_HOST: '127.0.0.1',
    INTAKE_PORT: String(await freePort()),
    INTAKE_ADMIN_KEY: ADMIN_KEY,
    INTAKE_SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef0123456789',
    INTAKE_LOG_LEVEL: 'warn',
    // The benchmarks hammer one key far past any sane production limit.
    INTAKE_RATE_LIMIT_PER_MINUTE: '100000000',
    MAX_UPLOAD_SIZE_MB: '4096',
    ...env,
  }, flags);
  const ns = await call<{ id: string }>(server.url, ADMIN_KEY, '/v1/namespaces', { name: 'bench' });
  const key = await call<{ secret: string }>(server.url, ADMIN_KEY, '/v1/keys', { namespace_id: ns.id, name: 'bench' });
  return { ...server, dataDir, key: key.secret };
}

export interface Session {
  id: string;
  upload_url: string;
  upload_method: { method: 'PUT'; headers: Record<string, string> };
}

/** A single-request (non-resumable) PUT session for `size` bytes of `contentType`. */
export function createSession(intake: IntakeServer, filename: string, contentType: string, size: number): Promise<Session> {
  return call<Session>(intake.url, intake.key, '/v1/uploads', { filename, content_type: contentType, file_size: size, resumable: false });
}

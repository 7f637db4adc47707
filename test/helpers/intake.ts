/**
 * Starts a real Intake (SQLite, local disk, real HTTP server on loopback) in a temp
 * directory, and gives tests a small client for it. Every instance is independent.
 * `useIntake()` is the usual setup of a test file: one Intake and a tenant for its tests;
 * `{ listen: false }` for suites that only call the API (validation, envelopes, errors):
 * the same app, answered through Fastify's inject(), with no socket.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/lib/clock.js';
import { createIntake, type Intake } from '../../src/main/container.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
/** Scaled-out configurations (PostgreSQL, S3, Redis) must be given their secrets. */
export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef0123456789';

/** A clock tests can move forward instead of sleeping. */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

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

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data: T; error: { code: string; message: string; details: Record<string, any> } | null; meta: Record<string, any>; message?: string };
}

export interface TestIntake {
  /** The server's base URL; throws for an Intake started with `listen: false`. */
  url: string;
  intake: Intake;
  dataDir: string;
  clock: TestClock;
  /** Calls the API with a key (admin by default) and parses the envelope. */
  api<T = any>(method: string, route: string, opts?: { key?: string; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** A new namespace and a key for it. */
  tenant(opts?: { quota_bytes?: number; limits?: Record<string, number> }): Promise<{ namespaceId: string; key: string; keyId: string }>;
  /** Every file under the storage objects folder (relative paths). */
  /** Resolves once the job queue has nothing running or due (renditions are written in the background). */
  settled(): Promise<void>;
  storedFiles(): Promise<string[]>;
  /** Files left in the storage temp folder. */
  tempFiles(): Promise<string[]>;
  close(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  keepData?: boolean;
  logger?: pino.Logger;
  /** false: no server; api() goes through app.inject() (for suites where no bytes cross a socket). */
  listen?: boolean;
}

export async function startIntake(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestIntake> {
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'intake-test-')));
  const port = await freePort();
  const config = loadConfig({
    INTAKE_DATA_DIR: dataDir,
    INTAKE_PORT: String(port),
    INTAKE_HOST: '127.0.0.1',
    INTAKE_ADMIN_KEY: ADMIN_KEY,
    INTAKE_SIGNING_SECRET: SIGNING_SECRET,
    INTAKE_LOG_LEVEL: 'silent',
    ...env,
  });
  const clock = new TestClock();
  const intake = await createIntake(config, { logger: opts.logger ?? false, clock });
  if (config.jobs.workers) intake.startWorkers();
  const listening = opts.listen !== false;
  if (listening) await intake.listen('127.0.0.1', port);
  const base = `http://127.0.0.1:${port}`;

  const api: TestIntake['api'] = async (method, route, opts = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.key ?? ADMIN_KEY}`, ...opts.headers };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    if (!listening) return injected(intake, method, route, headers, body);
    const res = await fetch(base + route, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };

  const listFiles = async (dir: string): Promise<string[]> => {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? (e as any).path, e.name))).sort();
  };

  // Jobs write renditions in the background: wait until the queue has nothing running or due.
  const settled = async (): Promise<void> => {
    await eventually(async () => {
      const counts = Object.values(await intake.queue.counts());
      return counts.every((c) => c.waiting === 0 && c.active === 0);
    }, 20_000, 'the job queue to settle');
  };

  let tenants = 0;
  return {
    get url() {
      if (!listening) throw new Error('this Intake was started with listen: false: call it through api()');
      return base;
    },
    intake,
    dataDir,
    clock,
    api,
    async tenant(opts = {}) {
      // Namespace names are unique per instance: "test", then "test-2", "test-3"…
      tenants += 1;
      const ns = await api('POST', '/v1/namespaces', { json: { name: tenants === 1 ? 'test' : `test-${tenants}`, ...opts } });
      if (ns.status !== 201) throw new Error(`namespace: ${JSON.stringify(ns.body)}`);
      const key = await api('POST', '/v1/keys', { json: { namespace_id: ns.body.data.id, name: 'test' } });
      return { namespaceId: ns.body.data.id, key: key.body.data.secret, keyId: key.body.data.id };
    },
    settled,
    async storedFiles() {
      await settled();
      return listFiles(path.join(dataDir, 'storage', 'objects'));
    },
    tempFiles: () => listFiles(path.join(dataDir, 'storage', 'tmp')),
    async close() {
      await intake.close();
      if (!opts.keepData) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The API answered through app.inject(), shaped as a fetch() answer. */
async function injected(intake: Intake, method: string, route: string, headers: Record<string, string>, body: RequestInit['body']): Promise<ApiResponse> {
  if (body != null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    // FormData, Blob, a stream…: encoded as fetch() would send it, with its content type (a form's boundary).
    const encoded = new Response(body);
    const type = encoded.headers.get('content-type');
    if (type && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers = { ...headers, 'content-type': type };
    body = Buffer.from(await encoded.arrayBuffer());
  }
  const res = await intake.app.inject({ method: method as 'GET', url: route, headers, ...(body != null ? { payload: body as string | Buffer } : {}) });
  const answer = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) answer.append(name, String(v));
  }
  return { status: res.statusCode, headers: answer, body: res.body ? JSON.parse(res.body) : null };
}

/** The Intake of useIntake(), with the key of its tenant (namespace and key made in before()). */
export interface UsedIntake extends TestIntake {
  key: string;
  namespaceId: string;
  keyId: string;
}

/**
 * The usual setup of a test file or describe(): `const t = useIntake(env)` at its top, then
 * `t.api(..., { key: t.key })` in its tests. The Intake starts in before(), with one tenant
 * unless `tenant: false`, and is closed (its folder removed) in after(). `t` stands for it:
 * it forwards to the instance before() started, so it can be passed wherever a TestIntake goes.
 */
export function useIntake(env: Record<string, string> = {}, opts: StartOptions & { tenant?: boolean } = {}): UsedIntake {
  let started: TestIntake | undefined;
  let tenant: Record<string, string> = {};
  before(async () => {
    started = await startIntake(env, opts);
    if (opts.tenant !== false) tenant = await started.tenant();
  });
  after(() => started?.close());
  return new Proxy({} as UsedIntake, {
    get(_, name) {
      if (typeof name === 'string' && name in tenant) return tenant[name];
      if (!started) throw new Error(`useIntake(): ${String(name)} read before its before() hook ran`);
      const value = Reflect.get(started, name);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The real server as a child process (`intake serve`, compiled or through tsx as the test runs), for tests that kill it,
 * restart it, or run several side by side. Resolves once it says it is listening; rejects
 * with everything it printed if it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './entry.js';
import { ADMIN_KEY, freePort, SIGNING_SECRET } from './intake.js';

export async function spawnServe(env: { INTAKE_DATA_DIR: string; INTAKE_PORT: string } & Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...CLI, 'serve'], {
    env: { ...process.env, INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_SIGNING_SECRET: SIGNING_SECRET, INTAKE_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) => reject(new Error(`serve exited early (${code ?? signal}): ${out}`)));
  });
  return child;
}

/** A role of the real server (`intake serve` or `intake worker`) and when it is up or gone. */
export interface RoleProcess {
  child: ChildProcess;
  /** Resolves once it says it is listening (serve) or running (worker); rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Starts `intake serve` or `intake worker` (compiled or through tsx, as the test runs) with `env` (stderr shown), and keeps
 * it in `children` until it exits, so a test's after() can SIGKILL whatever is left.
 */
export function startRole(cmd: 'serve' | 'worker', env: NodeJS.ProcessEnv, children: Set<ChildProcess>): RoleProcess {
  const child = spawn(process.execPath, [...CLI, cmd], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code))).finally(() => children.delete(child));
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on|worker running/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited early (${code}): ${out}`)));
  });
  return { child, ready, exited };
}

/** Server and worker processes on one temp data folder and port (a small cluster a test kills and restarts). */
export interface RoleCluster {
  dir: string;
  base: string;
  start(cmd: 'serve' | 'worker', extra?: Record<string, string>): RoleProcess;
  /** Calls the API with a key; the body parsed. */
  api(method: string, route: string, key: string, json?: unknown): Promise<{ status: number; body: any }>;
  /** A new namespace (admin key) and a key for it. */
  tenant(name: string): Promise<{ namespaceId: string; key: string }>;
  /** An upload session for `bytes`, with its bytes sent to the signed URL (which must answer 200). */
  uploaded(key: string, filename: string, contentType: string, bytes: Buffer): Promise<{ upload_id: string; upload_url: string }>;
  /** SIGKILLs whatever is still running and removes the folder. */
  close(): Promise<void>;
}

export async function roleCluster(prefix: string, env: Record<string, string> = {}): Promise<RoleCluster> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const shared = { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port), INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_LOG_LEVEL: 'silent', ...env };
  const children = new Set<ChildProcess>();
  const cluster: RoleCluster = {
    dir,
    base,
    start: (cmd, extra = {}) => startRole(cmd, { ...shared, ...extra }, children),
    async api(method, route, key, json) {
      const res = await fetch(base + route, { method, headers: { authorization: `Bearer ${key}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined });
      return { status: res.status, body: await res.json() };
    },
    async tenant(name) {
      const ns = await cluster.api('POST', '/v1/namespaces', ADMIN_KEY, { name });
      const key = (await cluster.api('POST', '/v1/keys', ADMIN_KEY, { namespace_id: ns.body.data.id, name: 'k' })).body.data.secret;
      return { namespaceId: ns.body.data.id as string, key: key as string };
    },
    async uploaded(key, filename, contentType, bytes) {
      const session = (await cluster.api('POST', '/v1/uploads', key, { filename, content_type: contentType, file_size: bytes.length })).body.data;
      const sent = await fetch(session.upload_url, { method: 'PUT', headers: { 'content-type': contentType }, body: bytes });
      assert.equal(sent.status, 200, await sent.text());
      return session;
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

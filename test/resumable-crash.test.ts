/**
 * Resume after the server process is killed mid-upload: the real server runs as a child
 * process, is SIGKILLed while a part is arriving, and restarts on the same data folder.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, eventually, freePort, type ApiResponse } from './helpers/intake.js';
import { sha256 } from './helpers/media.js';
import { s3Env, testBucket, type TestBucket } from './helpers/ceph.js';
import { ResumableClient, textFile } from './helpers/resumable-client.js';
import { spawnServe } from './helpers/serve-process.js';

const MIB = 1024 * 1024;
let dir: string;
let port: number;
let server: ChildProcess | undefined;

function startServer(env: Record<string, string>): Promise<ChildProcess> {
  return spawnServe({ INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port), ...env });
}

async function api<T = any>(method: string, route: string, opts: { key?: string; json?: unknown } = {}): Promise<ApiResponse<T>> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { authorization: `Bearer ${opts.key ?? ADMIN_KEY}`, ...(opts.json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** How a storage driver is set up for the server, and how a test sees a part arriving. */
interface Driver {
  name: string;
  env(): Promise<Record<string, string>>;
  /** True once part bytes have reached the store (a part in flight). */
  arriving(): Promise<boolean>;
  close(): Promise<void>;
}

const localDisk: Driver = {
  name: 'local disk',
  env: async () => ({}),
  arriving: async () => (await partTemps()).some((size) => size >= MIB),
  close: async () => undefined,
};

/** Parts go straight to the bucket: the server dies between them, the client gives up the one in flight. */
function s3Bucket(): Driver {
  let bucket: TestBucket | undefined;
  return {
    name: 'S3 (Ceph RGW)',
    env: async () => s3Env((bucket = await testBucket('intake-crash'))),
    arriving: async () => true,
    close: async () => bucket?.drop(),
  };
}

/** Temp files of parts still arriving, with their sizes. */
async function partTemps(): Promise<number[]> {
  const root = path.join(dir, 'storage', 'multipart');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const temps = entries.filter((e) => e.isFile() && e.name.startsWith('tmp-'));
  return Promise.all(temps.map(async (e) => (await fs.stat(path.join(e.parentPath, e.name))).size));
}

after(() => {
  server?.kill('SIGKILL');
});

for (const driver of [localDisk, s3Bucket()]) {
  describe(`resumable upload across a server crash (${driver.name})`, () => {
    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-crash-'));
      port = await freePort();
    });
    after(async () => {
      await driver.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('after SIGKILL mid-part and a restart, the client lists the parts, sends the rest and completes with the right SHA-256', async () => {
      const env = await driver.env();
      server = await startServer(env);
      const ns = await api('POST', '/v1/namespaces', { json: { name: 'crash' } });
      const key = (await api('POST', '/v1/keys', { json: { namespace_id: ns.body.data.id, name: 'k' } })).body.data.secret as string;
      const client = new ResumableClient(api, key);
      const file = textFile(15 * MIB, 15);
      const s = await client.create({ filename: 'long.txt', content_type: 'text/plain', file_size: file.length, file_hash: sha256(file), part_size: 5 * MIB });
      const [p1, p2] = s.parts.urls;
      const first = await client.sendPart(p1!.url, client.slice(file, p1!));
      assert.equal(first.status, 200);

      // Part 2 is half sent when the server dies (and the client gives that part up).
      const req = http.request(p2!.url, { method: 'PUT', headers: { 'content-length': String(p2!.size) } });
      const failed = new Promise<void>((resolve) => req.once('error', () => resolve()).once('close', () => resolve()));
      req.write(file.subarray(p2!.offset, p2!.offset + 2 * MIB));
      await eventually(driver.arriving, 10_000, 'part 2 arriving');
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
      req.destroy();
      await failed;

      server = await startServer(env);
      const held = await client.listParts(s.upload_id);
      assert.equal(held.status, 200);
      // The ETag a resuming client checks its own bytes against.
      assert.deepEqual(held.body.data.map((p) => [p.part_number, p.size, p.etag]), [[1, 5 * MIB, first.etag]]);
      assert.equal((await api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'uploading');

      const done = await client.resume(s.upload_id, file, s.parts.count);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.status, 'completed');
      assert.equal(done.body.data.asset.sha256, sha256(file));
      const back = await fetch(done.body.data.asset.url);
      assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(file));
      // The half part's temp file (kept at start-up: it could have been another live process's) went with the joined parts.
      assert.deepEqual(await partTemps(), []);
      server.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
      server = undefined;
    });
  });
}

/**
 * Graceful drain: SIGTERM to an `intake worker` in the middle of a transcode lets the job
 * finish, then the process exits 0. Real processes: `intake serve` (API only,
 * INTAKE_WORKERS=0) and one `intake worker`, sharing one data folder; with no other worker,
 * an asset that is ready the moment the worker has exited was finished by that worker.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { ADMIN_KEY, eventually, freePort } from './helpers/intake.js';
import { startRole, type RoleProcess } from './helpers/serve-process.js';
import { videoClip } from './helpers/processing.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let base: string;
const children = new Set<ChildProcess>();

function start(cmd: 'serve' | 'worker', extra: Record<string, string> = {}): RoleProcess {
  return startRole(cmd, { ...env, ...extra }, children);
}

async function api(method: string, route: string, key: string, json?: unknown): Promise<any> {
  const res = await fetch(base + route, { method, headers: { authorization: `Bearer ${key}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-drain-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port), INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_LOG_LEVEL: 'silent' };
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

it('SIGTERM mid-transcode: the worker finishes the job, then exits 0', async () => {
  const apiServer = start('serve', { INTAKE_WORKERS: '0' });
  await apiServer.ready;
  const ns = await api('POST', '/v1/namespaces', ADMIN_KEY, { name: 'drain' });
  const key = (await api('POST', '/v1/keys', ADMIN_KEY, { namespace_id: ns.body.data.id, name: 'k' })).body.data.secret;

  const clip = await videoClip(640, 360, 4);
  const session = (await api('POST', '/v1/uploads', key, { filename: 'drain.mp4', content_type: 'video/mp4', file_size: clip.length })).body.data;
  assert.equal((await fetch(session.upload_url, { method: 'PUT', headers: { 'content-type': 'video/mp4' }, body: clip })).status, 200);
  const worker = start('worker');
  await worker.ready;
  const done = await api('POST', `/v1/uploads/${session.upload_id}/complete`, key, {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const assetId = done.body.data.asset.id;
  const work = path.join(dir, 'work', assetId);

  await eventually(async () => {
    const files = await fs.readdir(work).catch(() => [] as string[]);
    const sizes = await Promise.all(files.map((f) => fs.stat(path.join(work, f)).then((s) => s.size, () => 0)));
    return sizes.some((s) => s > 0);
  }, 60_000, 'the worker to be writing renditions');
  assert.equal((await api('GET', `/v1/uploads/${session.upload_id}`, key)).body.data.status, 'processing', 'SIGTERM lands mid-job');
  worker.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0, 'the worker exits 0 after draining');

  // No worker is left: whatever is done now, the drained worker did.
  const asset = (await api('GET', `/v1/assets/${assetId}`, key)).body.data;
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['360p', 'original', 'poster']);
  assert.equal((await api('GET', `/v1/uploads/${session.upload_id}`, key)).body.data.status, 'completed');
  assert.deepEqual(await fs.readdir(path.join(dir, 'work')).catch(() => []), [], 'no scratch files');

  apiServer.child.kill('SIGTERM');
  assert.equal(await apiServer.exited, 0);
});

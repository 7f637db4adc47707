/**
 * Graceful drain: SIGTERM to an `intake worker` in the middle of a transcode lets the job
 * finish, then the process exits 0. Real processes: `intake serve` (API only,
 * INTAKE_WORKERS=0) and one `intake worker`, sharing one data folder; with no other worker,
 * an asset that is ready the moment the worker has exited was finished by that worker.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { eventually } from './helpers/intake.js';
import { roleCluster, type RoleCluster } from './helpers/serve-process.js';
import { videoClip } from './helpers/processing.js';

let cluster: RoleCluster;
const start = (cmd: 'serve' | 'worker', extra: Record<string, string> = {}) => cluster.start(cmd, extra);
const api = (method: string, route: string, key: string, json?: unknown) => cluster.api(method, route, key, json);

before(async () => {
  cluster = await roleCluster('intake-drain-', {});
});
after(() => cluster.close());

it('SIGTERM mid-transcode: the worker finishes the job, then exits 0', async () => {
  const apiServer = start('serve', { INTAKE_WORKERS: '0' });
  await apiServer.ready;
  const { key } = await cluster.tenant('drain');

  const clip = await videoClip(640, 360, 4);
  const session = await cluster.uploaded(key, 'drain.mp4', 'video/mp4', clip);
  const worker = start('worker');
  await worker.ready;
  const done = await api('POST', `/v1/uploads/${session.upload_id}/complete`, key, {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const assetId = done.body.data.asset.id;
  const work = path.join(cluster.dir, 'work', assetId);

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
  assert.deepEqual(await fs.readdir(path.join(cluster.dir, 'work')).catch(() => []), [], 'no scratch files');

  apiServer.child.kill('SIGTERM');
  assert.equal(await apiServer.exited, 0);
});

it('SIGTERM with a drain deadline shorter than the job: the worker hands the job back, exits 0, and another worker finishes it at once', async () => {
  const apiServer = start('serve', { INTAKE_WORKERS: '0' });
  await apiServer.ready;
  const { key } = await cluster.tenant('handback');
  const clip = await videoClip(640, 360, 8);
  const session = await cluster.uploaded(key, 'handback.mp4', 'video/mp4', clip);
  // A job lease far longer than the test: only a hand-back lets another worker take the job.
  const worker = start('worker', { INTAKE_SHUTDOWN_SECONDS: '0', INTAKE_JOB_LEASE_SECONDS: '3600' });
  await worker.ready;
  const done = await api('POST', `/v1/uploads/${session.upload_id}/complete`, key, {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const assetId = done.body.data.asset.id;
  const work = path.join(cluster.dir, 'work', assetId);
  await eventually(async () => (await fs.readdir(work).catch(() => [] as string[])).length > 0, 60_000, 'the worker to be transcoding');

  worker.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0, 'exits 0 after handing the job back');
  assert.equal((await api('GET', `/v1/assets/${assetId}`, key)).body.data.status, 'processing', 'the job was not finished');

  const next = start('worker');
  await next.ready;
  const asset = await eventually(async () => {
    const a = (await api('GET', `/v1/assets/${assetId}`, key)).body.data;
    return a.status === 'ready' ? a : null;
  }, 120_000, 'the other worker to finish the handed-back job');
  assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['360p', 'original', 'poster']);
  next.child.kill('SIGTERM');
  assert.equal(await next.exited, 0);
  apiServer.child.kill('SIGTERM');
  assert.equal(await apiServer.exited, 0);
});

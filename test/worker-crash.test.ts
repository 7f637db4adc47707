/**
 * A worker process killed with SIGKILL in the middle of a transcode loses nothing: after
 * its lease runs out, a new worker takes the job again and the asset ends ready with
 * exactly one set of renditions, no scratch files and no orphaned ffmpeg. Real processes:
 * `intake serve` (API only, INTAKE_WORKERS=0) and `intake worker`, sharing one data folder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { eventually } from './helpers/intake.js';
import { roleCluster, type RoleCluster } from './helpers/serve-process.js';
import { download, probeBytes, videoClip } from './helpers/processing.js';

let cluster: RoleCluster;
const start = (cmd: 'serve' | 'worker', extra: Record<string, string> = {}) => cluster.start(cmd, extra);
const api = (method: string, route: string, key: string, json?: unknown) => cluster.api(method, route, key, json);

before(async () => {
  cluster = await roleCluster('intake-crash-', { INTAKE_JOB_LEASE_SECONDS: '2' });
});
after(() => cluster.close());

/** ffmpeg processes working in this test's data folder. */
function ffmpegsIn(folder: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'ffmpeg'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(folder));
  } catch {
    return [];
  }
}

it('a worker killed mid-transcode and a new one started: ready, one set of renditions, nothing left over', async () => {
  const apiServer = start('serve', { INTAKE_WORKERS: '0' });
  await apiServer.ready;
  const { namespaceId, key } = await cluster.tenant('crash');

  // Long enough that the kill lands while ffmpeg is writing.
  const clip = await videoClip(1280, 720, 6);
  const session = await cluster.uploaded(key, 'crash.mp4', 'video/mp4', clip);
  const first = start('worker');
  await first.ready;
  const done = await api('POST', `/v1/uploads/${session.upload_id}/complete`, key, {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const assetId = done.body.data.asset.id;
  const work = path.join(cluster.dir, 'work', assetId);

  const progress: number[] = [];
  await eventually(async () => {
    const files = await fs.readdir(work).catch(() => [] as string[]);
    const sizes = await Promise.all(files.map((f) => fs.stat(path.join(work, f)).then((s) => s.size, () => 0)));
    progress.push((await api('GET', `/v1/uploads/${session.upload_id}`, key)).body.data.progress);
    return sizes.some((s) => s > 0) && progress[progress.length - 1]! > 0;
  }, 60_000, 'the first worker to be writing renditions and reporting progress');
  const reported = progress[progress.length - 1]!;
  assert.ok(reported > 0 && reported < 100, `progress moves while ffmpeg runs (${progress.join(',')})`);
  first.child.kill('SIGKILL');
  await first.exited;
  const mid = await api('GET', `/v1/uploads/${session.upload_id}`, key);
  assert.equal(mid.body.data.status, 'processing', 'killed before it finished');
  // ffmpeg dies with its parent's pipe, not minutes later.
  await eventually(async () => ffmpegsIn(cluster.dir).length === 0, 15_000, 'no orphaned ffmpeg');

  const second = start('worker');
  await second.ready;
  const asset = await eventually(async () => {
    const a = await api('GET', `/v1/assets/${assetId}`, key);
    return ['ready', 'failed'].includes(a.body.data.status) ? a.body.data : null;
  }, 120_000, 'the asset to be processed by the second worker');
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  const labels = asset.sources.map((s: any) => s.label).sort();
  assert.deepEqual(labels, ['360p', '480p', '720p', 'original', 'poster'], 'exactly one set');
  const stored = (await fs.readdir(path.join(cluster.dir, 'storage', 'objects', namespaceId, assetId))).sort();
  // The HLS folder (hls/: a playlist and segments per rung) and the storyboard are two more entries, made in the same run.
  assert.deepEqual(stored, ['360p.mp4', '480p.mp4', '720p.mp4', 'hls', 'poster.jpg', 'storyboard']);
  const hd = await probeBytes(await download(asset.sources.find((s: any) => s.label === '720p').url));
  assert.ok(Math.abs(hd.duration - 6) < 0.3, `the 720p rendition is whole (${hd.duration} s)`);
  assert.deepEqual(await fs.readdir(path.join(cluster.dir, 'work')).catch(() => []), [], 'no scratch files');
  assert.deepEqual(await fs.readdir(path.join(cluster.dir, 'storage', 'tmp')).catch(() => []), [], 'no storage temp files');
  assert.equal((await api('GET', `/v1/uploads/${session.upload_id}`, key)).body.data.status, 'completed');

  second.child.kill('SIGTERM');
  apiServer.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
  assert.equal(await apiServer.exited, 0);
});

/**
 * The processing pipeline with INTAKE_STORAGE=s3 on a real S3 server (Ceph RGW): the job
 * downloads the original (the driver has no local path), writes every rendition into the
 * bucket, and deleting the asset empties the bucket.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assetWhen, download, probeBytes, uploadMedia, videoClip } from '../helpers/processing.js';
import { createSession } from './error-helpers.js';

let b: TestBucket;
let t: TestIntake;
before(async () => {
  b = await testBucket('intake-processing');
  t = await startIntake(s3Env(b));
});
after(async () => {
  await t?.close();
  await b?.drop();
});

it('on S3: a video and an image get their renditions in the bucket; delete removes every one', async () => {
  const { key, namespaceId } = await t.tenant();
  const video = await uploadMedia(t, key, await videoClip(320, 240), 's3.mp4', 'video/mp4');
  assert.equal(video.complete.status, 200, JSON.stringify(video.complete.body));
  const asset = await assetWhen(t, key, video.complete.body.data.asset.id, ['ready', 'failed']);
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  const mp4 = asset.sources.find((s: any) => s.label === '240p');
  assert.equal(new URL(mp4.url).origin, b.server.endpoint, 'delivered from the bucket');
  const probed = await probeBytes(await download(mp4.url));
  assert.equal(probed.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
  const poster = await sharp(await download(asset.sources.find((s: any) => s.label === 'poster').url)).metadata();
  assert.equal(poster.format, 'jpeg');

  const image = await uploadMedia(t, key, await png(900, 600), 's3.png', 'image/png');
  const imageId = image.complete.body.data.asset.id;
  const keys = async (id: string) => (await b.keys()).filter((k) => k.startsWith(`${namespaceId}/${id}/`)).sort();
  await eventually(async () => (await t.api('GET', `/v1/assets/${imageId}`, { key })).body.data.sources.length === 3, 20_000, 'the image renditions');
  await t.storedFiles(); // returns once the job queue has settled
  assert.deepEqual(await keys(imageId), [`${namespaceId}/${imageId}/preview.webp`, `${namespaceId}/${imageId}/thumbnail.webp`]);
  const videoKeys = await keys(asset.id);
  assert.deepEqual(videoKeys.filter((k) => !k.includes('/hls/') && !k.includes('/storyboard/')), [`${namespaceId}/${asset.id}/240p.mp4`, `${namespaceId}/${asset.id}/poster.jpg`]);
  assert.ok(videoKeys.includes(`${namespaceId}/${asset.id}/hls/master.m3u8`), 'and the HLS folder');
  assert.deepEqual(videoKeys.filter((k) => k.includes('/storyboard/')), [`${namespaceId}/${asset.id}/storyboard/sprite.jpg`, `${namespaceId}/${asset.id}/storyboard/storyboard.vtt`], 'and the storyboard');

  for (const id of [asset.id, imageId]) assert.equal((await t.api('DELETE', `/v1/assets/${id}`, { key })).status, 200);
  assert.deepEqual(await b.keys(), [], 'the bucket is empty');
  assert.deepEqual(await fs.readdir(path.join(t.dataDir, 'work')).catch(() => []), [], 'the downloaded originals are gone');
});

it('on S3: {"async": true} answers 202 and the job verifies the object in the bucket as a synchronous complete would', async () => {
  const { key, namespaceId } = await t.tenant();
  const bytes = await videoClip(320, 240);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const s = await createSession(t, key, { filename: 'later.mp4', content_type: 'video/mp4', file_size: bytes.length, file_hash: sha });
  assert.equal(new URL(s.upload_url).origin, b.server.endpoint, 'the bytes go to the bucket');
  assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: s.upload_method.headers, body: bytes })).status, 200);
  const res = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: { async: true } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.data.status, 'processing');
  const asset = await assetWhen(t, key, s.asset_id, ['ready', 'failed']);
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  assert.deepEqual([asset.width, asset.height, asset.filesize, asset.sha256], [320, 240, bytes.length, sha]);
  assert.deepEqual(asset.sources.map((x: any) => x.label).sort(), ['240p', 'original', 'poster']);
  assert.deepEqual(await download(asset.url), bytes);
  const again = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
  assert.deepEqual([again.status, again.body.data.status, again.body.data.asset.id], [200, 'completed', asset.id]);

  // A wrong file_hash fails the session after the 202, and its bytes leave the bucket.
  const bad = await createSession(t, key, { filename: 'bad.mp4', content_type: 'video/mp4', file_size: bytes.length, file_hash: 'b'.repeat(64) });
  assert.equal((await fetch(bad.upload_url, { method: 'PUT', headers: bad.upload_method.headers, body: bytes })).status, 200);
  assert.equal((await t.api('POST', `/v1/uploads/${bad.upload_id}/complete`, { key, json: { async: true } })).status, 202);
  const failed = await eventually(async () => {
    const u = (await t.api('GET', `/v1/uploads/${bad.upload_id}`, { key })).body.data;
    return u.status === 'failed' ? u : null;
  }, 30_000, 'the bad session to fail');
  assert.equal(failed.error.code, 'verification_failed');
  assert.equal(failed.error.details.reason, 'checksum_mismatch');
  await t.storedFiles(); // the queue has settled
  assert.deepEqual((await b.keys()).filter((k) => k.includes(bad.upload_id) || k.includes(bad.asset_id)), [], 'nothing of the failed upload stays in the bucket');

  assert.equal((await t.api('DELETE', `/v1/assets/${asset.id}`, { key })).status, 200);
  assert.deepEqual((await b.keys()).filter((k) => k.startsWith(`${namespaceId}/`)), []);
});

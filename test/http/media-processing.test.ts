/**
 * The processing pipeline end to end on real media: every kind reaches ready with its
 * renditions (probed back: codecs, heights, never upscaled), posters and thumbnails are
 * real images, corrupt media fails cleanly, async complete ends like a sync one, and
 * deleting an asset removes every rendition's bytes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { createSession } from './error-helpers.js';
import { avClip } from '../helpers/media.js';
import { assetWhen, download, probeBytes, uploadMedia, videoClip } from '../helpers/processing.js';

let t: TestIntake;
let key: string;
before(async () => {
  t = await startIntake();
  key = (await t.tenant()).key;
});
after(() => t.close());

const labels = (asset: any) => asset.sources.map((s: any) => s.label).sort();
const source = (asset: any, label: string) => asset.sources.find((s: any) => s.label === label);

/** asset.process runs that failed, from /metrics: final ones, and ones a retry followed. */
async function processFailures(): Promise<{ final: number; retried: number }> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const count = (final: boolean) => Number(new RegExp(`^intake_job_failures_total\\{name="asset.process",final="${final}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { final: count(true), retried: count(false) };
}

async function workLeft(): Promise<string[]> {
  return fs.readdir(path.join(t.dataDir, 'work')).catch(() => []);
}

describe('video', () => {
  it('a small clip becomes ready with one MP4 at its own size and a JPEG poster, with progress and statuses', async () => {
    const { complete } = await uploadMedia(t, key, await videoClip(320, 240), 'small.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.equal(complete.body.data.status, 'processing');
    assert.equal(complete.body.data.asset.status, 'processing');
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.deepEqual(labels(asset), ['240p', 'original', 'poster']);
    const upload = (await t.api('GET', `/v1/uploads/${complete.body.data.id}`, { key })).body.data;
    assert.equal(upload.status, 'completed');
    assert.equal(upload.progress, 100);

    const mp4 = source(asset, '240p');
    assert.equal(mp4.mimetype, 'video/mp4');
    const bytes = await download(mp4.url);
    assert.equal(bytes.length, mp4.filesize);
    const probed = await probeBytes(bytes);
    const v = probed.streams.find((s) => s.codec_type === 'video')!;
    assert.equal(v.codec_name, 'h264');
    assert.deepEqual([v.width, v.height], [320, 240]);
    assert.equal(probed.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
    assert.deepEqual([mp4.width, mp4.height], [320, 240]);
    assert.ok(Math.abs(mp4.duration - 1) < 0.2, `duration ${mp4.duration}`);
    assert.ok(mp4.bitrate > 0);
    // +faststart: the index (moov) comes before the media data (mdat).
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'moov before mdat');

    const poster = source(asset, 'poster');
    assert.equal(poster.mimetype, 'image/jpeg');
    const meta = await sharp(await download(poster.url)).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.deepEqual([meta.width, meta.height, poster.width, poster.height], [320, 240, 320, 240]);
    assert.deepEqual(await workLeft(), [], 'no scratch files left');
  });

  it('the upload goes processing → storing → completed: storing while the renditions are written', async () => {
    // The real storage driver, held at the door of this asset's rendition writes so the test can look.
    const storage = t.intake.deps.storage;
    const write = storage.write;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = 0;
    storage.write = async function (key, body, opts) {
      if (/\/med_[^/]+\/(\d+p\.mp4|poster\.jpg)$/.test(key)) {
        held++;
        await released;
      }
      return write.call(this, key, body, opts);
    };
    try {
      const { complete } = await uploadMedia(t, key, await videoClip(160, 120), 'stages.mp4', 'video/mp4');
      assert.equal(complete.status, 200, JSON.stringify(complete.body));
      assert.equal(complete.body.data.status, 'processing');
      const uploadNow = async () => (await t.api('GET', `/v1/uploads/${complete.body.data.id}`, { key })).body.data;
      const storing = await eventually(async () => {
        const u = await uploadNow();
        return u.status === 'storing' && held > 0 ? u : null;
      }, 60_000, 'the upload to be storing');
      assert.equal(storing.progress, 90);
      assert.equal((await t.api('GET', `/v1/assets/${complete.body.data.asset.id}`, { key })).body.data.status, 'processing', 'not ready while storing');
      release();
      const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
      assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
      const done = await uploadNow();
      assert.deepEqual([done.status, done.progress], ['completed', 100]);
    } finally {
      release();
      storage.write = write;
    }
  });

  it('a 720p clip gets 720p, 480p and 360p renditions and never 1080p', async () => {
    const { complete } = await uploadMedia(t, key, await videoClip(1280, 720, 1, false), 'hd.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.deepEqual(labels(asset), ['360p', '480p', '720p', 'original', 'poster']);
    for (const [label, width, height] of [['720p', 1280, 720], ['480p', 854, 480], ['360p', 640, 360]] as const) {
      const s = source(asset, label);
      const probed = await probeBytes(await download(s.url));
      const v = probed.streams.find((x) => x.codec_type === 'video')!;
      assert.equal(v.codec_name, 'h264', label);
      assert.deepEqual([v.width, v.height, s.width, s.height], [width, height, width, height], label);
      assert.equal(probed.streams.some((x) => x.codec_type === 'audio'), false, 'no audio invented');
    }
  });

  it('a video whose frames are garbage fails with a clear error, and leaves no renditions or scratch files', async () => {
    const corrupt = Buffer.from(await videoClip(320, 240));
    // Header and index intact (so it verifies), every byte of media data replaced by noise.
    let x = 12345;
    for (let i = corrupt.indexOf('mdat') + 4; i < corrupt.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      corrupt[i] = (x >> 16) & 255;
    }
    const failuresBefore = await processFailures();
    const { complete } = await uploadMedia(t, key, corrupt, 'noise.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'failed');
    // A permanent failure on the first run, not a retry: /metrics counts one final failure and no retry.
    const failuresAfter = await eventually(async () => {
      const f = await processFailures();
      return f.final > failuresBefore.final ? f : null;
    }, 10_000, 'the failure to be counted');
    assert.equal(failuresAfter.final, failuresBefore.final + 1);
    assert.equal(failuresAfter.retried, failuresBefore.retried, 'bad media is not retried');
    assert.equal(asset.error.code, 'processing_failed');
    assert.match(asset.error.message, /could not be decoded/);
    assert.ok(!asset.error.message.includes(t.dataDir), 'the error names no server path');
    assert.deepEqual(labels(asset), ['original']);
    const upload = (await t.api('GET', `/v1/uploads/${complete.body.data.id}`, { key })).body.data;
    assert.equal(upload.status, 'failed');
    assert.equal(upload.error.code, 'processing_failed');
    assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(asset.id)), []);
    assert.deepEqual(await workLeft(), []);
  });
});

describe('readiness and metrics on the database queue', () => {
  it('/readyz checks the queue, and /metrics shows its depth and the jobs run', async () => {
    const ready = await t.api('GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(ready.body.data.checks, { database: 'ok', storage: 'ok', queue: 'ok' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const q of ['uploads', 'media', 'webhooks']) assert.match(metrics, new RegExp(`^intake_queue_jobs\\{queue="${q}",state="waiting"\\} \\d+$`, 'm'));
    assert.match(metrics, /^intake_job_duration_seconds_count\{name="asset.process",outcome="completed"\} [1-9]/m, 'the videos above were processed');
  });
});

describe('images and audio', () => {
  it('an image is ready at once and gains a WebP thumbnail (≤320) and preview (≤1280), auto-oriented, without metadata', async () => {
    // 1600x800 stored sideways: EXIF orientation 6 means "display rotated 90°", so 800x1600.
    const bytes = await sharp({ create: { width: 1600, height: 800, channels: 3, background: { r: 10, g: 120, b: 200 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { complete } = await uploadMedia(t, key, bytes, 'photo.jpg', 'image/jpeg');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.equal(complete.body.data.asset.status, 'ready');
    const assetId = complete.body.data.asset.id;
    const asset = await assetWhen(t, key, assetId, ['ready']).then(async () => {
      for (;;) {
        const a = (await t.api('GET', `/v1/assets/${assetId}`, { key })).body.data;
        if (a.sources.length === 3) return a;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    assert.deepEqual(labels(asset), ['original', 'preview', 'thumbnail']);
    for (const [label, w, h] of [['thumbnail', 160, 320], ['preview', 640, 1280]] as const) {
      const s = source(asset, label);
      assert.equal(s.mimetype, 'image/webp');
      const meta = await sharp(await download(s.url)).metadata();
      assert.equal(meta.format, 'webp', label);
      assert.deepEqual([meta.width, meta.height, s.width, s.height], [w, h, w, h], label);
      assert.equal(meta.exif, undefined, `${label} carries no EXIF`);
      assert.equal(meta.orientation, undefined, `${label} needs no orientation flag`);
    }
  });

  it('audio becomes ready with an AAC rendition', async () => {
    const { complete } = await uploadMedia(t, key, await avClip('mp3', 1), 'tone.mp3', 'audio/mpeg');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.deepEqual(labels(asset), ['audio', 'original']);
    const s = source(asset, 'audio');
    assert.equal(s.mimetype, 'audio/mp4');
    const probed = await probeBytes(await download(s.url));
    assert.deepEqual(probed.streams.map((x) => x.codec_name), ['aac']);
    assert.ok(Math.abs(s.duration - 1) < 0.2);
  });
});

describe('async complete and delete', () => {
  it('{"async": true} answers 202 processing and ends as a synchronous complete would', async () => {
    const bytes = await videoClip(320, 240);
    const { complete, session } = await uploadMedia(t, key, bytes, 'later.mp4', 'video/mp4', { async: true });
    assert.equal(complete.status, 202, JSON.stringify(complete.body));
    assert.equal(complete.body.data.status, 'processing');
    const asset = await assetWhen(t, key, session.asset_id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready');
    assert.deepEqual([asset.width, asset.height, asset.filesize, asset.mimetype], [320, 240, bytes.length, 'video/mp4']);
    assert.deepEqual(labels(asset), ['240p', 'original', 'poster']);
    // Complete again, synchronously: the same settled answer.
    const again = await t.api('POST', `/v1/uploads/${session.upload_id}/complete`, { key, json: {} });
    assert.equal(again.status, 200);
    assert.equal(again.body.data.status, 'completed');
    assert.equal(again.body.data.asset.id, asset.id);
  });

  it('async complete of bytes that fail verification fails the session as a sync complete would', async () => {
    const s = await createSession(t, key, { filename: 'x.png', content_type: 'image/png', file_size: 10 });
    // Fewer bytes than declared (a complete before any bytes is a 409 that keeps the session: complete-errors.test.ts).
    assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.from('short') })).status, 200);
    const res = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: { async: true } });
    assert.equal(res.status, 202);
    const failed = await eventually(async () => {
      const u = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data;
      return u.status === 'failed' ? u : null;
    }, 15_000, 'the session to fail');
    assert.equal(failed.error.code, 'verification_failed');
    assert.equal(failed.error.details.reason, 'size_mismatch');
  });

  it('deleting a processed asset removes the original and every rendition from storage', async () => {
    const { complete } = await uploadMedia(t, key, await videoClip(320, 240), 'gone.mp4', 'video/mp4');
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready']);
    const before = (await t.storedFiles()).filter((f) => f.includes(asset.id));
    assert.equal(before.filter((f) => !f.includes('/hls/') && !f.includes('/storyboard/')).length, 2, `renditions stored: ${before.join(', ')}`);
    assert.ok(before.some((f) => f.endsWith('/hls/master.m3u8')), 'and the HLS folder');
    assert.ok(before.some((f) => f.endsWith('/storyboard/sprite.jpg')), 'and the storyboard');
    assert.equal((await t.api('DELETE', `/v1/assets/${asset.id}`, { key })).status, 200);
    const left = (await t.storedFiles()).filter((f) => f.includes(asset.id) || f.includes(complete.body.data.id));
    assert.deepEqual(left, []);
  });
});

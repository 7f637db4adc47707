/**
 * The media-upload document, run as written against a real server on local disk and on
 * Ceph RGW: POST /media/upload → the upload_method it names (images: a form POST with
 * only `file` to Intake's own URL, no key; video and PDF: a PUT with Content-Type) →
 * POST /media/{id}/complete. HEIC is accepted, probed and rendered (libheif's
 * heif-convert). Rate-limit headers carry a Unix-seconds reset. Bad input is 400 and
 * leaves nothing behind; the store URL is one-use, tamper-proof and expires.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { eventually, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, pdf, png, jpeg } from '../helpers/media.js';
import { stores } from './stores.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A real HEIC (HEVC inside), made by libheif's encoder from a PNG. */
async function heic(width: number, height: number): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'heic-'));
  try {
    await fs.writeFile(path.join(dir, 'in.png'), await png(width, height));
    await promisify(execFile)('heif-enc', ['-q', '60', '-o', path.join(dir, 'out.heic'), path.join(dir, 'in.png')]);
    return await fs.readFile(path.join(dir, 'out.heic'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

for (const store of stores()) {
  describe(`media upload on ${store.name}`, () => {
    let t: TestIntake;
    let key: string;
    before(async () => {
      t = await store.start({ INTAKE_MEDIAUPLOAD_MAX_MB: '1' });
      ({ key } = await t.tenant());
    });
    after(async () => {
      await t?.close();
      await store.stop();
    });

    const call = async (route: string, json?: unknown) => {
      const res = await fetch(`${t.url}${route}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    };

    /** Step 2 as upload_method says: a form with only `file`, or a PUT with its headers. No key. */
    function send(data: any, bytes: Buffer, filename: string) {
      const m = data.upload_method;
      if (m.method === 'POST') {
        const form = new FormData();
        form.append(m.field_name, new Blob([bytes]), filename);
        return fetch(data.upload_url, { method: 'POST', body: form });
      }
      return fetch(data.upload_url, { method: 'PUT', headers: m.headers, body: bytes });
    }

    async function flow(bytes: Buffer, filename: string, contentType: string) {
      const up = await call('/media/upload', { filename, content_type: contentType, size: bytes.length });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.equal(up.body.error, null);
      assert.match(up.body.data.media_id, UUID);
      assert.ok(up.body.meta.request_id && up.body.meta.timestamp);
      const sent = await send(up.body.data, bytes, filename);
      assert.ok(sent.status === 200 || sent.status === 204, `${sent.status} ${await sent.text()}`);
      const done = await call(`/media/${up.body.data.media_id}/complete`);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return { up: up.body.data, done: done.body.data };
    }

    it('image: a form with only `file` to Intake\'s own URL, then complete; rate-limit headers in Unix seconds', async () => {
      const bytes = await jpeg(200, 100);
      const up = await call('/media/upload', { filename: 'product-photo.jpg', content_type: 'image/jpeg', size: bytes.length });
      assert.equal(up.status, 201);
      assert.deepEqual(up.body.data.upload_method, { method: 'POST', content_type: 'multipart/form-data', field_name: 'file' });
      assert.deepEqual([up.body.data.provider, up.body.data.expires_in, up.body.data.max_size], ['intake', 3600, 1024 * 1024]);
      assert.equal(new URL(up.body.data.upload_url).origin, t.url, 'the form URL is Intake\'s, on S3 too');
      const reset = Number(up.headers.get('x-ratelimit-reset'));
      const now = Date.now() / 1000;
      assert.ok(Number(up.headers.get('x-ratelimit-limit')) > 0 && Number(up.headers.get('x-ratelimit-remaining')) >= 0);
      assert.ok(Number.isInteger(reset) && reset >= Math.floor(now) && reset <= now + 61, `reset ${reset}`);
      assert.equal((await send(up.body.data, bytes, 'product-photo.jpg')).status, 200);
      // One-use: a second form to the same URL is refused and changes nothing.
      const again = await send(up.body.data, await png(), 'other.png');
      assert.equal(again.status, 409);
      const done = await call(`/media/${up.body.data.media_id}/complete`);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual([done.body.data.media_id, done.body.data.status, done.body.data.media.width, done.body.data.media.height], [up.body.data.media_id, 'ready', 200, 100]);
      assert.ok(done.headers.get('x-ratelimit-reset'));
    });

    it('HEIC: accepted, probed (width, height), renditions made', async () => {
      const { done } = await flow(await heic(96, 64), 'IMG_0001.heic', 'image/heic');
      assert.deepEqual([done.status, done.media.kind, done.media.mimetype, done.media.width, done.media.height], ['ready', 'image', 'image/heic', 96, 64]);
      const ready = await eventually(async () => {
        const a = (await t.api('GET', `/v1/assets/${done.media.id}`, { key })).body.data;
        return a.sources.some((s: any) => s.label === 'thumbnail') ? a : null;
      }, 30_000, 'the HEIC renditions');
      const thumb = ready.sources.find((s: any) => s.label === 'thumbnail');
      assert.deepEqual([thumb.mimetype, thumb.width, thumb.height], ['image/webp', 96, 64]);
      // HEIF, the container's other name, for the same bytes.
      const heif = await flow(await heic(40, 30), 'photo.heif', 'image/heif');
      assert.deepEqual([heif.done.media.mimetype, heif.done.media.width], ['image/heif', 40]);
    });

    it('video and document: PUT with Content-Type, then complete', async () => {
      const video = await flow(await ffmpegMedia('mp4'), 'clip.mp4', 'video/mp4');
      assert.deepEqual(video.up.upload_method, { method: 'PUT', content_type: 'video/mp4', headers: { 'Content-Type': 'video/mp4' } });
      assert.equal(video.up.provider, store.name);
      assert.equal(video.up.max_size, 500 * 1024 * 1024);
      assert.equal(video.done.status, 'processing');
      const doc = await flow(pdf(), 'terms.pdf', 'application/pdf');
      assert.deepEqual([doc.done.status, doc.done.media.kind], ['ready', 'document']);
      await t.settled();
    });

    it('bad input is 400 (sizes and types too), 401 without a key; the store URL refuses tampering and expiry; nothing left', async () => {
      const usage = async () => (await t.api('GET', '/v1/usage', { key })).body.data;
      const before = await usage();
      const ok = { filename: 'a.png', content_type: 'image/png', size: 1000 };
      const cases: Array<[string, unknown]> = [
        ['no size', { ...ok, size: undefined }],
        ['no filename', { ...ok, filename: undefined }],
        ['an unlisted type', { ...ok, content_type: 'image/bmp' }],
        ['text', { ...ok, content_type: 'text/plain' }],
        ['an image over max_size', { ...ok, size: 2 * 1024 * 1024 }],
        ['a video over max_size', { ...ok, content_type: 'video/mp4', size: 501 * 1024 * 1024 }],
      ];
      for (const [what, json] of cases) {
        const res = await call('/media/upload', json);
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.deepEqual([res.body.data, typeof res.body.error.code, typeof res.body.meta.request_id], [null, 'string', 'string'], what);
      }
      const noKey = await fetch(`${t.url}/media/upload`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ok) });
      assert.equal(noKey.status, 401);
      assert.equal((await call('/media/9c1fa5c4-a8f1-4b2e-9d6e-1c8a0b9e2d7f/complete')).status, 404);

      const bytes = await png();
      const up = (await call('/media/upload', { ...ok, size: bytes.length })).body.data;
      const tampered = new URL(up.upload_url);
      tampered.searchParams.set('key', tampered.searchParams.get('key')!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
      assert.equal((await send({ ...up, upload_url: tampered.href }, bytes, 'a.png')).status, 403);
      const noFile = new FormData();
      noFile.append('title', 'x');
      assert.equal((await fetch(up.upload_url, { method: 'POST', body: noFile })).status, 400);
      // A bigger file than declared is refused while it streams.
      assert.equal((await send(up, Buffer.concat([bytes, Buffer.alloc(10)]), 'a.png')).status, 413);
      t.clock.advance(3601);
      assert.equal((await send(up, bytes, 'a.png')).status, 410);
      t.clock.advance(-3601);
      assert.deepEqual(await t.tempFiles(), []);
      const afterUsage = await usage();
      assert.equal(afterUsage.stored_bytes, before.stored_bytes);
      assert.ok((await store.objects(t)).every((k) => !k.includes(up.media_id) && !k.includes('.tmp')));
    });
  });
}

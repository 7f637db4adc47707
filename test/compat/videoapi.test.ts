/**
 * The Video Uploads API's document, run as written against a real server on local disk
 * and on Ceph RGW: multipart `video` + `folder` → 202 pending → status 1/3/5 → 6; the 50
 * most recent; one upload's status by its UUID; 7 for a video that cannot be decoded.
 * Bad input gets its 4xx and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, png } from '../helpers/media.js';
import { stores } from './stores.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const store of stores()) {
  describe(`Video Uploads API on ${store.name}`, () => {
    let t: TestIntake;
    let key: string;
    before(async () => {
      t = await store.start();
      ({ key } = await t.tenant());
    });
    after(async () => {
      await t?.close();
      await store.stop();
    });

    const get = async (route: string) => {
      const res = await fetch(`${t.url}/api/client/v1${route}`, { headers: { Authorization: `Bearer ${key}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    async function post(fields: Array<[string, string | Blob, string?]>) {
      const form = new FormData();
      for (const [name, value, filename] of fields) {
        if (typeof value === 'string') form.append(name, value);
        else form.append(name, value, filename);
      }
      const res = await fetch(`${t.url}/api/client/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: form });
      return { status: res.status, body: (await res.json()) as any };
    }

    it('202 pending with a UUID, then 1/3/5 → 6 completed; the asset is in the native API under that folder', async () => {
      const bytes = await ffmpegMedia('mp4');
      const res = await post([['folder', 'root/my-folder'], ['video', new Blob([bytes], { type: 'video/mp4' }), 'my_new_video.mp4']]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.message, 'Upload accepted and is now being processed.');
      assert.match(res.body.data.id, UUID);
      assert.deepEqual([res.body.data.status, res.body.data.status_text], [1, 'pending']);
      const id = res.body.data.id;
      const seen: number[] = [];
      const done = await eventually(async () => {
        const one = await get(`/uploads/${id}`);
        assert.equal(one.status, 200);
        if (seen.at(-1) !== one.body.data.status) seen.push(one.body.data.status);
        return one.body.data.status === 6 ? one.body.data : null;
      }, 60_000, 'the video to complete');
      assert.deepEqual([done.id, done.filename, done.status_text], [id, 'my_new_video.mp4', 'completed']);
      assert.ok(seen.every((s) => [1, 3, 5, 6].includes(s)), `statuses seen: ${seen}`);
      assert.deepEqual([...seen].sort((a, b) => a - b), seen, `statuses only move forward: ${seen}`);
      // The same upload natively, by its UUID; its asset sits in the folder sent.
      const native = (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data;
      assert.deepEqual([native.uuid, native.status, native.status_code], [id, 'completed', 6]);
      const asset = (await t.api('GET', `/v1/assets/${native.asset_id}`, { key })).body.data;
      assert.deepEqual([asset.folder, asset.status, asset.kind], ['root/my-folder', 'ready', 'video']);
    });

    it('7 failed for a video that cannot be decoded', async () => {
      const real = await ffmpegMedia('mp4');
      const broken = Buffer.concat([real.subarray(0, 32), Buffer.alloc(4096, 7)]);
      const res = await post([['video', new Blob([broken], { type: 'video/mp4' }), 'broken.mp4'], ['folder', 'root']]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const failed = await eventually(async () => {
        const one = (await get(`/uploads/${res.body.data.id}`)).body.data;
        return one.status === 7 ? one : null;
      }, 30_000, 'the broken video to fail');
      assert.equal(failed.status_text, 'failed');
    });

    it('the 50 most recent video uploads, newest first, each with its status', async () => {
      // Sessions made natively (no bytes): pending videos, and an image that is not listed.
      const made: string[] = [];
      for (let i = 0; i < 51; i++) {
        const s = await t.api('POST', '/v1/uploads', { key, json: { filename: `v${i}.mp4`, content_type: 'video/mp4', file_size: 1000 } });
        assert.equal(s.status, 201);
        made.push(s.body.data.uuid);
      }
      const image = await t.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: 1000 } });
      assert.equal(image.status, 201);
      const list = await get('/uploads');
      assert.equal(list.status, 200);
      assert.equal(list.body.data.length, 50);
      assert.deepEqual(list.body.data.map((u: any) => u.id), made.slice(1).reverse());
      const first = list.body.data[0];
      assert.deepEqual(Object.keys(first).sort(), ['created_at', 'filename', 'id', 'status', 'status_text', 'updated_at']);
      assert.deepEqual([first.filename, first.status, first.status_text], ['v50.mp4', 1, 'pending']);
      assert.equal((await get(`/uploads/${image.body.data.uuid}`)).status, 404, 'an image is not a video upload');
      for (const uuid of [...made, image.body.data.uuid]) assert.equal((await t.api('DELETE', `/v1/uploads/${uuid}`, { key })).status, 200);
    });

    it('bad input: the field named, 415 for what is not a video, 401 without a key; nothing stored', async () => {
      const video = await ffmpegMedia('mp4');
      const before = (await t.api('GET', '/v1/uploads?limit=50', { key })).body.data.length;
      const cases: Array<[string, Array<[string, string | Blob, string?]>, number, string]> = [
        ['no folder', [['video', new Blob([video]), 'a.mp4']], 400, 'folder'],
        ['no video', [['folder', 'root']], 400, 'video'],
        ['the file under another name', [['folder', 'root'], ['file', new Blob([video]), 'a.mp4']], 400, 'video'],
        ['an image', [['folder', 'root'], ['video', new Blob([await png()], { type: 'image/png' }), 'a.png']], 415, 'file'],
        ['an image sent as octet-stream', [['folder', 'root'], ['video', new Blob([await png()], { type: 'application/octet-stream' }), 'a.bin']], 415, 'file'],
        ['a bad folder', [['folder', '../etc'], ['video', new Blob([video]), 'a.mp4']], 400, 'folder'],
      ];
      for (const [what, fields, status, field] of cases) {
        const res = await post(fields);
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.details.field, field, what);
      }
      const json = await fetch(`${t.url}/api/client/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: '{"folder":"root"}' });
      assert.equal(json.status, 400);
      assert.equal((await fetch(`${t.url}/api/client/v1/uploads`, { headers: { Authorization: 'Bearer nope' } })).status, 401);
      assert.equal((await get('/uploads/9c1fa5c4-a8f1-4b2e-9d6e-1c8a0b9e2d7f')).status, 404);
      assert.equal((await t.api('GET', '/v1/uploads?limit=50', { key })).body.data.length, before, 'no session recorded');
      const stored = await store.objects(t);
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.equal(usage.reserved_bytes, 0);
      assert.ok(stored.every((k) => !k.includes('.tmp')), `no temp objects: ${stored}`);
      assert.deepEqual(await t.tempFiles(), []);
    });
  });
}

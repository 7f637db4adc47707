/**
 * MediaKit's document, run as written against a real server on local disk and on Ceph
 * RGW: presign → PUT with only Content-Type → complete {asset_id, key} → (video) the
 * transcode runs → DELETE removes record, renditions and original. Bad input gets a 4xx
 * and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, png } from '../helpers/media.js';
import { stores } from './stores.js';

for (const store of stores()) {
  describe(`MediaKit on ${store.name}`, () => {
    let t: TestIntake;
    let key: string;
    before(async () => {
      t = await store.start({ MAX_UPLOAD_SIZE_MB: '2' });
      ({ key } = await t.tenant());
    });
    after(async () => {
      await t?.close();
      await store.stop();
    });

    const call = async (method: string, route: string, json?: unknown, bearer = key) => {
      const res = await fetch(`${t.url}${route}`, {
        method,
        headers: { Authorization: `Bearer ${bearer}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    async function presignPutComplete(bytes: Buffer, filename: string, contentType: string, assetType: string, title: string) {
      // Step 1, as the document's curl: the fields of its table, nothing else.
      const presign = await call('POST', '/api/mediakit/uploads/presign', { filename, content_type: contentType, file_size: bytes.length, asset_type: assetType, title });
      assert.equal(presign.status, 200, JSON.stringify(presign.body));
      const { upload_url, key: objectKey, asset_id, expires_in } = presign.body;
      assert.ok(upload_url && objectKey && asset_id && expires_in > 0);
      // Step 2: PUT with Content-Type and nothing else (curl --data-binary, or the XHR example).
      const put = await fetch(upload_url, { method: 'PUT', headers: { 'Content-Type': contentType }, body: bytes });
      assert.equal(put.status, 200, await put.text());
      // Step 3: complete with {asset_id, key}.
      const done = await call('POST', '/api/mediakit/uploads/complete', { asset_id, key: objectKey });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return { asset_id, objectKey, done: done.body };
    }

    it('image: presign → PUT → complete is ready at once; DELETE removes record, renditions and original', async () => {
      const bytes = await png(120, 80);
      const { asset_id, done } = await presignPutComplete(bytes, 'photo.png', 'image/png', 'image', 'Holiday photo');
      assert.deepEqual([done.asset_id, done.status, done.kind, done.title, done.width, done.height], [asset_id, 'ready', 'image', 'Holiday photo', 120, 80]);
      // The same asset in the native API.
      const native = await t.api('GET', `/v1/assets/${asset_id}`, { key });
      assert.equal(native.body.data.status, 'ready');
      await t.settled();
      assert.ok((await store.objects(t)).some((k) => k.includes(asset_id)), 'renditions are stored under the asset');

      const del = await call('DELETE', `/api/mediakit/uploads/${asset_id}`);
      assert.deepEqual([del.status, del.body], [200, { deleted: true, asset_id }]);
      assert.equal((await t.api('GET', `/v1/assets/${asset_id}`, { key })).status, 404);
      assert.deepEqual(await store.objects(t), [], 'record, renditions and original are gone');
    });

    it('video: complete answers processing, the transcode runs, then DELETE empties the store', async () => {
      const bytes = await ffmpegMedia('mp4');
      const { asset_id, done } = await presignPutComplete(bytes, 'vacation.mp4', 'video/mp4', 'video', 'Vacation Highlights');
      assert.deepEqual([done.status, done.kind, done.title], ['processing', 'video', 'Vacation Highlights']);
      const ready = await eventually(async () => {
        const a = (await t.api('GET', `/v1/assets/${asset_id}`, { key })).body.data;
        return a.status === 'ready' ? a : null;
      }, 60_000, 'the transcode');
      assert.ok(ready.sources.length > 1, 'renditions were made');
      const del = await call('DELETE', `/api/mediakit/uploads/${asset_id}`);
      assert.equal(del.status, 200);
      assert.deepEqual(await store.objects(t), []);
    });

    it('bad input: a clear 4xx, nothing signed, nothing stored, no quota held', async () => {
      const before = (await t.api('GET', '/v1/usage', { key })).body.data;
      const ok = { filename: 'a.png', content_type: 'image/png', file_size: 100, asset_type: 'image' };
      const cases: Array<[string, unknown, number, string?]> = [
        ['no filename', { ...ok, filename: undefined }, 400],
        ['asset_type audio', { ...ok, asset_type: 'audio' }, 400],
        ['a PDF', { ...ok, content_type: 'application/pdf', asset_type: undefined }, 400],
        ['asset_type disagrees with content_type', { ...ok, asset_type: 'video' }, 400],
        ['over MAX_UPLOAD_SIZE_MB', { ...ok, file_size: 3 * 1024 * 1024 }, 413],
        ['a type Intake does not take', { ...ok, content_type: 'application/x-msdownload' }, 415],
      ];
      for (const [what, json, status] of cases) {
        const res = await call('POST', '/api/mediakit/uploads/presign', json);
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.error.code, 'string', what);
      }
      assert.equal((await call('POST', '/api/mediakit/uploads/presign', ok, 'sk_' + 'x'.repeat(40))).status, 401);
      assert.equal((await call('POST', '/api/mediakit/uploads/presign', ok, ADMIN_KEY)).status, 403);
      // Extra fields are ignored; a wrong key at complete is refused and the session stays open.
      const presign = await call('POST', '/api/mediakit/uploads/presign', { ...ok, tags: ['x'] });
      assert.equal(presign.status, 200);
      const wrong = await call('POST', '/api/mediakit/uploads/complete', { asset_id: presign.body.asset_id, key: 'uploads/abc/other.png' });
      assert.equal(wrong.status, 400);
      assert.equal((await call('POST', '/api/mediakit/uploads/complete', { asset_id: 'med_nope', key: 'x' })).status, 404);
      assert.equal((await call('DELETE', '/api/mediakit/uploads/med_nope')).status, 404);
      // Completed with no bytes sent: a 4xx, never a 500.
      const early = await call('POST', '/api/mediakit/uploads/complete', { asset_id: presign.body.asset_id, key: presign.body.key });
      assert.ok(early.status >= 400 && early.status < 500, JSON.stringify(early.body));
      assert.equal((await t.api('DELETE', `/v1/uploads/${presign.body.upload_id}`, { key })).status, 200);
      const afterNs = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.deepEqual([afterNs.reserved_bytes, afterNs.stored_bytes], [before.reserved_bytes, before.stored_bytes]);
      assert.deepEqual(await store.objects(t), []);
    });
  });
}

describe('INTAKE_COMPAT=none', () => {
  it('mounts no compatibility route: the native 404', async () => {
    const t = await startIntake({ INTAKE_COMPAT: 'none' });
    try {
      const { key } = await t.tenant();
      const res = await t.api('POST', '/api/mediakit/uploads/presign', { key, json: { filename: 'a.png', content_type: 'image/png', file_size: 1 } });
      assert.equal(res.status, 404);
      assert.equal(res.body.error?.code, 'not_found');
    } finally {
      await t.close();
    }
  });
});

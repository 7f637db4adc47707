import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, jpeg, png, sha256 } from '../helpers/media.js';

// The whole flow runs on the embedded SQLite default and on PostgreSQL.
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`upload flow on ${dialect}`, () => {
    let t: TestIntake;
    let key: string;
    let database: TestDatabase;

    before(async () => {
      database = await createTestDatabase(dialect);
      t = await startIntake({ INTAKE_DATABASE_URL: database.url });
      ({ key } = await t.tenant());
    });
    after(async () => {
      await t.close();
      await database.drop();
    });

    async function createSession(json: Record<string, unknown>) {
      const res = await t.api('POST', '/v1/uploads', { key, json });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.data;
    }

    describe('simple PUT upload, end to end', () => {
      it('creates, receives, verifies, delivers and deletes an image', async () => {
        const bytes = await png(80, 60);
        const s = await createSession({ filename: 'photo.png', content_type: 'image/png', file_size: bytes.length, file_hash: sha256(bytes), title: 'A photo', metadata: { a: 1 } });
        assert.match(s.upload_id, /^upl_[a-z0-9]{16,}$/);
        assert.match(s.asset_id, /^med_[a-z0-9]{16,}$/);
        assert.equal(s.status, 'pending');
        assert.equal(s.status_code, 1);
        assert.equal(s.provider, 'local');
        assert.equal(s.upload_method.method, 'PUT');
        assert.equal(s.upload_method.headers['Content-Type'], 'image/png');
        assert.equal(s.is_duplicate, false);
        assert.equal(s.resumable, false);

        const put = await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
        assert.equal(put.status, 200);
        assert.ok(put.headers.get('etag'));

        const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.data.status, 'completed');
        assert.equal(done.body.data.status_code, 6);
        const asset = done.body.data.asset;
        assert.equal(asset.status, 'ready');
        assert.equal(asset.width, 80);
        assert.equal(asset.height, 60);
        assert.equal(asset.mimetype, 'image/png');
        assert.equal(asset.sha256, sha256(bytes));
        assert.equal(asset.title, 'A photo');
        assert.deepEqual(asset.metadata, { a: 1 });
        assert.equal(asset.sources[0].label, 'original');

        // complete again answers the same
        const again = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
        assert.equal(again.status, 200);
        assert.equal(again.body.data.asset.id, asset.id);

        const got = await fetch(asset.url);
        assert.equal(got.status, 200);
        assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
        assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
        assert.match(got.headers.get('content-security-policy') ?? '', /sandbox/);
        assert.ok(got.headers.get('etag'));

        const part = await fetch(asset.url, { headers: { range: 'bytes=0-9' } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get('content-range'), `bytes 0-9/${bytes.length}`);
        assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(0, 10));

        const notModified = await fetch(asset.url, { headers: { 'if-none-match': got.headers.get('etag')! } });
        assert.equal(notModified.status, 304);

        // The original, and the thumbnail and preview its job made.
        assert.equal((await t.storedFiles()).length, 3);
        const del = await t.api('DELETE', `/v1/assets/${asset.id}`, { key });
        assert.equal(del.status, 200);
        assert.deepEqual(await t.storedFiles(), []);
        assert.equal((await t.api('GET', `/v1/assets/${asset.id}`, { key })).status, 404);
        assert.equal((await fetch(asset.url)).status, 404);
      });

      it('accepts the bytes again while the session is open, and never after completion', async () => {
        const first = await jpeg(10, 10);
        const second = await jpeg(20, 10);
        const s = await createSession({ filename: 'a.jpg', content_type: 'image/jpeg', file_size: Math.max(first.length, second.length) });
        const sized = Buffer.concat([second, Buffer.alloc(s.file_size - second.length)]);
        const firstSized = Buffer.concat([first, Buffer.alloc(s.file_size - first.length)]);
        assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: firstSized })).status, 200);
        assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: sized })).status, 200);
        const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.data.asset.width, 20);
        const late = await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: firstSized });
        assert.equal(late.status, 409);
        assert.equal(((await late.json()) as any).error.details.status, 'completed');
        const got = await fetch(done.body.data.asset.url);
        assert.deepEqual(Buffer.from(await got.arrayBuffer()), sized);
      });

      it('lists uploads newest first with a cursor and a status filter', async () => {
        const { key: k2 } = await t.tenant();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          t.clock.advance(1); // distinct created_at, so "newest first" is well defined
          const r = await t.api('POST', '/v1/uploads', { key: k2, json: { filename: `f${i}.txt`, content_type: 'text/plain', file_size: 5 } });
          ids.push(r.body.data.upload_id);
        }
        const page1 = await t.api('GET', '/v1/uploads?limit=2', { key: k2 });
        assert.equal(page1.status, 200);
        assert.deepEqual(page1.body.data.map((u: any) => u.id), [ids[2], ids[1]]);
        assert.ok(page1.body.meta.next_cursor);
        const page2 = await t.api('GET', `/v1/uploads?limit=2&cursor=${page1.body.meta.next_cursor}`, { key: k2 });
        assert.deepEqual(page2.body.data.map((u: any) => u.id), [ids[0]]);
        assert.equal(page2.body.meta.next_cursor, null);
        await t.api('DELETE', `/v1/uploads/${ids[1]}`, { key: k2 });
        const canceled = await t.api('GET', '/v1/uploads?status=canceled', { key: k2 });
        assert.deepEqual(canceled.body.data.map((u: any) => u.id), [ids[1]]);
        assert.equal((await t.api('GET', '/v1/uploads?cursor=garbage', { key: k2 })).status, 400);
      });
    });

    describe('signed POST (multipart form) upload', () => {
      it('stores the file sent with the signed fields', async () => {
        const bytes = await png(30, 20);
        const s = await createSession({ filename: 'p.png', content_type: 'image/png', file_size: bytes.length, method: 'POST' });
        assert.equal(s.upload_method.method, 'POST');
        assert.equal(s.upload_method.field_name, 'file');
        const form = new FormData();
        for (const [k, v] of Object.entries(s.upload_method.fields)) form.append(k, v as string);
        form.append('file', new Blob([bytes], { type: 'image/png' }), 'p.png');
        const res = await fetch(s.upload_url, { method: 'POST', body: form });
        assert.equal(res.status, 200, await res.clone().text());
        const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
        assert.equal(done.status, 200);
        assert.equal(done.body.data.asset.width, 30);
      });

      it('refuses a tampered field and keeps nothing', async () => {
        const bytes = await png(30, 20);
        const s = await createSession({ filename: 'p.png', content_type: 'image/png', file_size: bytes.length, method: 'POST' });
        // Uploaded bytes only: renditions of earlier tests' images may still be arriving.
        const uploaded = async () => (await t.storedFiles()).filter((f) => f.includes('/upl_'));
        const before = await uploaded();
        const form = new FormData();
        for (const [k, v] of Object.entries(s.upload_method.fields)) form.append(k, k === 'x-intake-max-size' ? String(10 ** 9) : (v as string));
        form.append('file', new Blob([bytes], { type: 'image/png' }), 'p.png');
        const res = await fetch(s.upload_url, { method: 'POST', body: form });
        assert.equal(res.status, 403);
        assert.equal(((await res.json()) as any).error.code, 'forbidden');
        assert.deepEqual(await uploaded(), before);
      });
    });

    describe('multipart/form-data upload through the API', () => {
      it('answers 202 and completes in the background', async () => {
        const bytes = await png(12, 34);
        const form = new FormData();
        form.append('folder', 'root/pics');
        form.append('metadata', JSON.stringify({ source: 'form' }));
        form.append('file', new Blob([bytes], { type: 'image/png' }), 'form.png');
        form.append('title', 'after the file');
        const res = await t.api('POST', '/v1/uploads', { key, body: form });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        assert.equal(res.body.message, 'Upload accepted and is now being processed.');
        assert.equal(res.body.data.status, 'pending');
        assert.equal(res.body.data.status_code, 1);
        const id = res.body.data.id;
        const done = await eventually(async () => {
          const r = await t.api('GET', `/v1/uploads/${id}`, { key });
          return r.body.data.status === 'completed' ? r.body.data : null;
        });
        const asset = await t.api('GET', `/v1/assets/${done.asset_id}`, { key });
        assert.equal(asset.body.data.width, 12);
        assert.equal(asset.body.data.height, 34);
        assert.equal(asset.body.data.folder, 'root/pics');
        assert.equal(asset.body.data.title, 'after the file');
        assert.deepEqual(asset.body.data.metadata, { source: 'form' });
      });
    });

    describe('duplicates', () => {
      it('answers 200 with the existing asset when the hash is known, and shares bytes until the last user goes', async () => {
        const { key: k } = await t.tenant();
        const bytes = await png(7, 7);
        const hash = sha256(bytes);
        const s = (await t.api('POST', '/v1/uploads', { key: k, json: { filename: 'x.png', content_type: 'image/png', file_size: bytes.length, file_hash: hash } })).body.data;
        await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
        assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k })).status, 200);

        const dup = await t.api('POST', '/v1/uploads', { key: k, json: { filename: 'y.png', content_type: 'image/png', file_size: bytes.length, file_hash: hash } });
        assert.equal(dup.status, 200);
        assert.equal(dup.body.data.is_duplicate, true);
        assert.equal(dup.body.data.duplicate_of, s.upload_id);
        assert.equal(dup.body.data.asset_id, s.asset_id);
        assert.equal(dup.body.data.upload_url, null);

        // skip_duplicates: false uploads again; the bytes are stored once and shared
        const own = (await t.api('POST', '/v1/uploads', { key: k, json: { filename: 'z.png', content_type: 'image/png', file_size: bytes.length, file_hash: hash, skip_duplicates: false } })).body.data;
        assert.ok(own.upload_url);
        await fetch(own.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
        const ownDone = await t.api('POST', `/v1/uploads/${own.upload_id}/complete`, { key: k });
        assert.equal(ownDone.status, 200);
        const usage = await t.api('GET', '/v1/usage', { key: k });
        assert.equal(usage.body.data.stored_bytes, bytes.length);

        await t.api('DELETE', `/v1/assets/${s.asset_id}`, { key: k });
        const stillThere = await fetch(ownDone.body.data.asset.url);
        assert.equal(stillThere.status, 200);
        await t.api('DELETE', `/v1/assets/${own.asset_id}`, { key: k });
        assert.equal((await fetch(ownDone.body.data.asset.url)).status, 404);
        assert.equal((await t.api('GET', '/v1/usage', { key: k })).body.data.stored_bytes, 0);
      });
    });

    describe('video and audio', () => {
      it('verifies a real MP4, probes it and leaves it processing for the pipeline', async () => {
        const bytes = await ffmpegMedia('mp4');
        const s = await createSession({ filename: 'clip.mp4', content_type: 'video/mp4', file_size: bytes.length, conditions: { operator: '&&', rules: [{ key: 'duration', operator: '>=', value: 0.5 }] } });
        await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'video/mp4' }, body: bytes });
        const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.data.status, 'processing');
        assert.equal(done.body.data.status_code, 3);
        const a = done.body.data.asset;
        assert.equal(a.status, 'processing');
        assert.equal(a.width, 160);
        assert.equal(a.height, 120);
        assert.ok(a.duration > 0.5 && a.duration < 2, `duration ${a.duration}`);
        assert.equal(a.fps, 25);
      });
    });
  });
}

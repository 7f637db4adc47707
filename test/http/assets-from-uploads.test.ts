/**
 * `create_asset: false` uploads and POST /v1/assets: one asset from several uploads, each
 * attached once; bad requests are their contract error and change nothing; an upload
 * left unattached for a day goes with its bytes and its quota. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, jpeg, png, sha256 } from '../helpers/media.js';
import { assertError, createSession, put, refused, snapshot } from './error-helpers.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`assets from several uploads on ${dialect}`, () => {
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

    /** A completed create_asset: false upload of `bytes`. */
    async function detached(bytes: Buffer, contentType: string, filename: string, k = key): Promise<any> {
      const key = k;
      const s = await createSession(t, key, { filename, content_type: contentType, file_size: bytes.length, create_asset: false });
      assert.equal(s.asset_id, null);
      assert.equal((await put(s.upload_url, bytes, contentType)).status, 200);
      const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.status, 'completed');
      assert.equal(done.body.data.asset_id, null);
      assert.equal(done.body.data.asset, null);
      return done.body.data;
    }

    it('complete keeps the bytes and counts them, but makes no asset', async () => {
      const bytes = await png(40, 30);
      const before = await snapshot(t, key);
      const u = await detached(bytes, 'image/png', 'p.png');
      const after = await snapshot(t, key);
      assert.deepEqual(after.assets, before.assets, 'no asset was made');
      assert.equal(after.usage.stored_bytes, before.usage.stored_bytes + bytes.length);
      assert.equal(after.usage.reserved_bytes, before.usage.reserved_bytes);
      const again = await t.api('POST', `/v1/uploads/${u.upload_id}/complete`, { key, json: {} });
      assert.equal(again.status, 200);
      assert.equal(again.body.data.asset, null);
    });

    it('builds one video asset with its own poster and transcript as sources, each attached once', async () => {
      const video = await ffmpegMedia('mp4');
      const poster = await jpeg(64, 48);
      const transcript = Buffer.from('00:00 hello\n00:01 world\n');
      const v = await detached(video, 'video/mp4', 'clip.mp4');
      const p = await detached(poster, 'image/jpeg', 'poster.jpg');
      const tr = await detached(transcript, 'text/plain', 'clip.vtt');
      // Renditions of earlier tests' assets count too: let them land first.
      await t.settled();
      const usage = (await snapshot(t, key)).usage;

      const res = await t.api('POST', '/v1/assets', {
        key,
        json: { uploads: [{ upload_id: v.upload_id }, { upload_id: p.upload_id, label: 'poster' }, { upload_id: tr.upload_id, label: 'transcript' }], title: 'Clip', alias: `clip-${dialect}`, metadata: { a: 1 } },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const asset = res.body.data;
      assert.match(asset.id, /^med_/);
      assert.equal(asset.kind, 'video');
      assert.equal(asset.upload_id, v.upload_id);
      assert.equal(asset.status, 'processing', 'processing runs on the original');
      assert.equal(asset.width, 160);
      assert.equal(asset.sha256, sha256(video));
      assert.equal(asset.alias, `clip-${dialect}`);
      assert.deepEqual(asset.sources.map((s: any) => s.label), ['original', 'poster', 'transcript']);
      const posterSource = asset.sources[1];
      assert.equal(posterSource.mimetype, 'image/jpeg');
      assert.equal(posterSource.width, 64);
      assert.equal(posterSource.filesize, poster.length);
      const got = await fetch(posterSource.url);
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), poster);
      // Attaching moves no quota; the renditions processing makes of the original count (docs/API.md).
      await t.settled();
      const made = (await t.api('GET', `/v1/assets/${asset.id}`, { key })).body.data.sources.filter((s: any) => !['original', 'poster', 'transcript'].includes(s.label));
      // The HLS and storyboard folders (playback.*, not listed sources) count too: each row holds its files' bytes.
      const folders = (await t.intake.deps.store.assets.listSources(asset.id)).filter((s) => ['hls', 'storyboard'].includes(s.label));
      const madeBytes = made.reduce((sum: number, s: any) => sum + s.filesize, 0) + folders.reduce((sum, s) => sum + s.filesize, 0);
      assert.deepEqual((await snapshot(t, key)).usage, { ...usage, stored_bytes: usage.stored_bytes + madeBytes }, 'attaching moves no quota');

      // Each upload now shows its asset, and can never be attached again.
      assert.equal((await t.api('GET', `/v1/uploads/${p.upload_id}`, { key })).body.data.asset_id, asset.id);
      const again = await refused(t, key, () => t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: p.upload_id }] } }), 409, 'conflict', 'uploads[0].upload_id');
      assert.equal(again.body.error!.details.reason, 'attached');
      assert.equal(again.body.error!.details.asset_id, asset.id);

      // Deleting the asset releases every attached upload's bytes and quota.
      const del = await t.api('DELETE', `/v1/assets/${asset.id}`, { key });
      assert.equal(del.status, 200);
      const end = await snapshot(t, key);
      assert.equal(end.usage.stored_bytes, usage.stored_bytes - video.length - poster.length - transcript.length);
      for (const u of [v, p, tr]) assert.ok(!end.stored.some((f) => f.includes(u.upload_id)), `bytes of ${u.upload_id} left`);
    });

    it('a label "original" picks the original whatever its place', async () => {
      const a = await detached(await png(10, 10), 'image/png', 'a.png');
      const b = await detached(await jpeg(20, 20), 'image/jpeg', 'b.jpg');
      const res = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: a.upload_id, label: 'thumb' }, { upload_id: b.upload_id, label: 'original' }] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.data.upload_id, b.upload_id);
      assert.equal(res.body.data.status, 'ready');
      assert.equal(res.body.data.mimetype, 'image/jpeg');
      assert.deepEqual(res.body.data.sources.map((s: any) => s.label), ['original', 'thumb']);
    });

    it('bad requests are their contract error and attach nothing', async () => {
      const a = await detached(await png(12, 12), 'image/png', 'a.png');
      const b = await detached(await png(13, 13), 'image/png', 'b.png');
      const post = (json: unknown) => () => t.api('POST', '/v1/assets', { key, json });
      await refused(t, key, post({ uploads: [] }), 400, 'invalid_request');
      await refused(t, key, post({}), 400, 'invalid_request');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }, { upload_id: b.upload_id }] }), 400, 'invalid_request', 'uploads[1].label');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }, { upload_id: a.upload_id, label: 'x' }] }), 400, 'invalid_request', 'uploads[1].upload_id');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }, { upload_id: b.upload_id, label: 'original' }] }), 400, 'invalid_request', 'uploads[0].label');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id, label: 'original' }, { upload_id: b.upload_id, label: 'original' }] }), 400, 'invalid_request', 'uploads[1].label');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id, label: 'Bad Label' }] }), 400, 'invalid_request');
      await refused(t, key, post({ uploads: [{ upload_id: 'upl_doesnotexist000000' }] }), 404, 'not_found', 'uploads[0].upload_id');
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }], alias: 'bad alias' }), 400, 'invalid_request');
      // The second upload is refused: the first must not be left attached.
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }, { upload_id: 'upl_doesnotexist000000', label: 'x' }] }), 404, 'not_found', 'uploads[1].upload_id');

      // An upload that made its own asset, and one still pending.
      const own = await createSession(t, key, { filename: 'o.png', content_type: 'image/png', file_size: 10 });
      const res = await refused(t, key, post({ uploads: [{ upload_id: own.upload_id }] }), 409, 'conflict', 'uploads[0].upload_id');
      assert.equal(res.body.error!.details.reason, 'has_asset');
      const pending = await createSession(t, key, { filename: 'q.png', content_type: 'image/png', file_size: 10, create_asset: false });
      const p = await refused(t, key, post({ uploads: [{ upload_id: pending.upload_id }] }), 409, 'conflict', 'uploads[0].upload_id');
      assert.equal(p.body.error!.details.status, 'pending');

      // Another tenant's upload does not exist for this key.
      const other = await t.tenant();
      await refused(t, other.key, () => t.api('POST', '/v1/assets', { key: other.key, json: { uploads: [{ upload_id: a.upload_id }] } }), 404, 'not_found');

      // A taken alias: 409, nothing attached; the uploads still attach afterwards.
      const holder = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: b.upload_id }], alias: `taken-${dialect}` } });
      assert.equal(holder.status, 201);
      await refused(t, key, post({ uploads: [{ upload_id: a.upload_id }], alias: `taken-${dialect}` }), 409, 'conflict', 'alias');
      assert.equal((await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: a.upload_id }] } })).status, 201);
    });

    it('two racing attaches of the same upload: exactly one wins', async () => {
      const a = await detached(await png(14, 14), 'image/png', 'race.png');
      const results = await Promise.all([1, 2, 3].map(() => t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: a.upload_id }] } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409], JSON.stringify(results.map((r) => r.body)));
      for (const r of results.filter((x) => x.status === 409)) assertError(r, 409, 'conflict');
    });

    it('asset fields with create_asset false are 400 naming the field, nothing reserved', async () => {
      for (const [field, value] of [['alias', 'x'], ['title', 't'], ['folder', 'root/a'], ['metadata', { a: 1 }]] as const) {
        await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: { filename: 'a.png', content_type: 'image/png', file_size: 10, create_asset: false, [field]: value } }), 400, 'invalid_request', field);
      }
      await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: { filename: 'a.png', content_type: 'image/png', file_size: 10, create_asset: 'no' } }), 400, 'invalid_request');
    });

    it('a form upload with create_asset=false is kept without an asset and attaches', async () => {
      const bytes = await png(33, 22);
      const form = new FormData();
      form.append('create_asset', 'false');
      form.append('file', new Blob([bytes], { type: 'image/png' }), 'f.png');
      const res = await t.api('POST', '/v1/uploads', { key, body: form });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.data.asset_id, null);
      const id = res.body.data.id;
      await eventually(async () => (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data.status === 'completed', 10_000, 'form upload completed');
      const made = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: id }], title: 'From a form' } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.data.width, 33);
      assert.equal(made.body.data.title, 'From a form');
    });

    it('a form with create_asset after the file, or with asset fields, is refused whole', async () => {
      const bytes = await png(8, 8);
      const late = new FormData();
      late.append('file', new Blob([bytes], { type: 'image/png' }), 'f.png');
      late.append('create_asset', 'false');
      await refused(t, key, () => t.api('POST', '/v1/uploads', { key, body: late }), 400, 'invalid_request', 'create_asset');
      const titled = new FormData();
      titled.append('create_asset', 'false');
      titled.append('title', 'no');
      titled.append('file', new Blob([bytes], { type: 'image/png' }), 'f.png');
      await refused(t, key, () => t.api('POST', '/v1/uploads', { key, body: titled }), 400, 'invalid_request', 'title');
      const bad = new FormData();
      bad.append('create_asset', 'maybe');
      bad.append('file', new Blob([bytes], { type: 'image/png' }), 'f.png');
      await refused(t, key, () => t.api('POST', '/v1/uploads', { key, body: bad }), 400, 'invalid_request', 'create_asset');
    });

    it('DELETE of a completed unattached upload releases it at once: row, bytes and quota', async () => {
      const own = await t.tenant();
      const bytes = await png(44, 44);
      const u = await detached(bytes, 'image/png', 'gone.png', own.key);
      assert.equal((await snapshot(t, own.key)).usage.stored_bytes, bytes.length);
      const del = await t.api('DELETE', `/v1/uploads/${u.upload_id}`, { key: own.key });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal(del.body.data.status, 'canceled');
      const after = await snapshot(t, own.key);
      assert.deepEqual(after.usage, { stored_bytes: 0, reserved_bytes: 0 });
      assert.deepEqual(after.uploads, []);
      assert.ok(!after.stored.some((f) => f.includes(u.upload_id)), 'its bytes are gone');
      await refused(t, own.key, () => t.api('POST', '/v1/assets', { key: own.key, json: { uploads: [{ upload_id: u.upload_id }] } }), 404, 'not_found');
      // An attached one is 409 like any completed upload: delete its asset instead.
      const kept = await detached(bytes, 'image/png', 'kept.png', own.key);
      assert.equal((await t.api('POST', '/v1/assets', { key: own.key, json: { uploads: [{ upload_id: kept.upload_id }] } })).status, 201);
      await refused(t, own.key, () => t.api('DELETE', `/v1/uploads/${kept.upload_id}`, { key: own.key }), 409, 'conflict');
    });

    it('an upload left unattached for 24 hours is deleted with its bytes and quota; an attached one stays', async () => {
      const own = await t.tenant();
      const bytes = await png(50, 50);
      const keptBytes = await png(51, 51);
      const left = await detached(bytes, 'image/png', 'left.png', own.key);
      const kept = await detached(keptBytes, 'image/png', 'kept.png', own.key);
      const keptAsset = await t.api('POST', '/v1/assets', { key: own.key, json: { uploads: [{ upload_id: kept.upload_id }] } });
      assert.equal(keptAsset.status, 201);
      await t.intake.sweep();
      assert.equal((await t.api('GET', `/v1/uploads/${left.upload_id}`, { key: own.key })).status, 200, 'not before a day has passed');
      t.clock.advance(24 * 3600 + 60);
      try {
        assert.ok((await t.intake.sweep()).unattached >= 1);
      } finally {
        t.clock.advance(-(24 * 3600 + 60));
      }
      assert.equal((await t.api('GET', `/v1/uploads/${left.upload_id}`, { key: own.key })).status, 404);
      const after = await snapshot(t, own.key);
      assert.ok(!after.stored.some((f) => f.includes(left.upload_id)), 'its bytes are gone');
      assert.ok(after.stored.some((f) => f.includes(kept.upload_id)), 'the attached one keeps its bytes');
      // The attached one's renditions count with it.
      await t.settled();
      const renditions = (await t.api('GET', `/v1/assets/${keptAsset.body.data.id}`, { key: own.key })).body.data.sources.filter((s: any) => s.label !== 'original');
      const renditionBytes = renditions.reduce((sum: number, s: any) => sum + s.filesize, 0);
      assert.deepEqual((await snapshot(t, own.key)).usage, { stored_bytes: keptBytes.length + renditionBytes, reserved_bytes: 0 }, 'its quota is released');
      await refused(t, own.key, () => t.api('POST', '/v1/assets', { key: own.key, json: { uploads: [{ upload_id: left.upload_id }] } }), 404, 'not_found');
    });
  });
}

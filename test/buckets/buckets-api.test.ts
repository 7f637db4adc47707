/**
 * The native bucket routes on SQLite and on PostgreSQL: create, read, list, edit, delete;
 * names unique per namespace; every query scoped to the key's namespace; the checks a
 * session into a bucket meets before signing; the unique key held by the database (of
 * racing sessions with the same values one gets the session, the others the skip);
 * assets from several uploads into a bucket; an async complete's task.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dialect } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';

const SCHEMA = { properties: { image: { type: 'image' }, poster: { type: 'image' }, sku: { type: 'string' }, rank: { type: 'number' } } };

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
  describe(`buckets on ${dialect}`, () => {
    let db: TestDatabase;
    let t: TestIntake;
    let key: string;
    let other: string;
    before(async () => {
      db = await createTestDatabase(dialect);
      t = await startIntake({ INTAKE_DATABASE_URL: db.url });
      ({ key } = await t.tenant());
      ({ key: other } = await t.tenant());
    });
    after(async () => {
      await t?.close();
      await db?.drop();
    });

    const api = (method: string, route: string, json?: unknown, k = key) => t.api(method, route, { key: k, json });

    async function sendAndComplete(upload: any, bytes: Buffer, body: unknown = {}) {
      const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.upload_method.headers, body: bytes });
      assert.equal(put.status, 200);
      return api('POST', `/v1/uploads/${upload.upload_id}/complete`, body);
    }

    it('create, read, list, edit, delete; a taken name is 409; another namespace sees nothing', async () => {
      const made = await api('POST', '/v1/buckets', { name: 'media', schema: SCHEMA, unique_key: ['sku'] });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const b = made.body.data;
      assert.match(b.id, /^bkt_/);
      assert.deepEqual([b.object, b.name, b.active, b.schema, b.unique_key], ['bucket', 'media', true, SCHEMA, ['sku']]);
      assert.equal((await api('POST', '/v1/buckets', { name: 'media' })).status, 409);
      assert.equal((await api('POST', '/v1/buckets', { name: 'media' }, other)).status, 201, 'names are per namespace');
      assert.deepEqual((await api('GET', `/v1/buckets/${b.id}`)).body.data, b);
      assert.equal((await api('GET', `/v1/buckets/${b.id}`, undefined, other)).status, 404);
      assert.deepEqual((await api('GET', '/v1/buckets')).body.data.map((x: any) => x.id), [b.id]);

      const paused = await api('PATCH', `/v1/buckets/${b.id}`, { active: false, name: 'media-2' });
      assert.deepEqual([paused.status, paused.body.data.active, paused.body.data.name], [200, false, 'media-2']);
      assert.equal((await api('PATCH', `/v1/buckets/${b.id}`, { unique_key: ['rank'] })).status, 400, 'the unique key is fixed');
      assert.equal((await api('PATCH', `/v1/buckets/${b.id}`, { active: true }, other)).status, 404);
      assert.equal((await api('DELETE', `/v1/buckets/${b.id}`, undefined, other)).status, 404);
      assert.equal((await api('DELETE', `/v1/buckets/${b.id}`)).status, 200);
      assert.equal((await api('GET', `/v1/buckets/${b.id}`)).status, 404);
    });

    it('bad buckets are 400s naming the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ name: '' }, 'name'],
        [{ name: '../x' }, 'name'],
        [{ name: 'a', schema: { properties: { v: { type: 'movie' } } } }, 'schema'],
        [{ name: 'a', schema: { properties: { Video: { type: 'video' } } } }, 'schema.properties.Video'],
        [{ name: 'a', schema: { properties: { original: { type: 'image' } } } }, 'schema.properties.original'],
        [{ name: 'a', unique_key: [] }, 'unique_key'],
        [{ name: 'a', unique_key: ['sku', 'sku'] }, 'unique_key'],
      ];
      for (const [json, field] of cases) {
        const res = await api('POST', '/v1/buckets', json);
        assert.equal(res.status, 400, JSON.stringify(json));
        assert.ok(String(res.body.error!.details?.field ?? '').startsWith(field.split('.')[0]!), `${JSON.stringify(json)}: ${JSON.stringify(res.body.error)}`);
      }
      assert.equal((await api('GET', '/v1/buckets')).body.data.length, 0);
    });

    it('a session into a bucket: its checks before signing; the unique key raced by ten sessions, one wins', async () => {
      const b = (await api('POST', '/v1/buckets', { name: 'race', schema: SCHEMA, unique_key: ['sku'] })).body.data;
      const ok = { filename: 'image.png', content_type: 'image/png', file_size: 100, bucket_id: b.id, metadata: { sku: 'S1' } };
      const refusals: Array<[unknown, number, string?]> = [
        [{ ...ok, bucket_id: 'bkt_missing' }, 404],
        [{ ...ok, bucket_property: 'sku' }, 400, 'schema_mismatch'],
        [{ ...ok, content_type: 'video/mp4' }, 400, 'schema_mismatch'],
        [{ ...ok, metadata: { sku: 'S1', rank: 'first' } }, 400, 'schema_mismatch'],
        [{ ...ok, metadata: {} }, 400, 'schema_mismatch'],
        [{ ...ok, bucket_type: 'video' }, 400, 'schema_mismatch'],
      ];
      for (const [json, status, reason] of refusals) {
        const res = await api('POST', '/v1/uploads', json);
        assert.equal(res.status, status, JSON.stringify(res.body));
        if (reason) assert.equal(res.body.error!.details.reason, reason);
      }
      const mine = (await api('POST', '/v1/buckets', { name: 'mine', schema: SCHEMA })).body.data;
      assert.equal((await api('POST', '/v1/uploads', { ...ok, bucket_id: mine.id }, other)).status, 404, 'another namespace\'s bucket');

      const answers = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/v1/uploads', ok)));
      const sessions = answers.filter((a) => a.status === 201);
      const skips = answers.filter((a) => a.status === 200);
      assert.equal(sessions.length, 1, JSON.stringify(answers.map((a) => a.status)));
      assert.equal(skips.length, 9);
      const assetId = sessions[0]!.body.data.asset_id;
      for (const s of skips) assert.deepEqual([s.body.data.skipped_unique_key, s.body.data.existing_asset_id, s.body.data.alias], [true, assetId, null]);
      assert.deepEqual([sessions[0]!.body.data.bucket_id, sessions[0]!.body.data.bucket_property], [b.id, 'image']);

      // The bucket cannot go while it holds an open session; canceled, the key value is free again.
      assert.equal((await api('DELETE', `/v1/buckets/${b.id}`)).body.error!.details.reason, 'not_empty');
      await api('DELETE', `/v1/uploads/${sessions[0]!.body.data.upload_id}`);
      assert.equal((await api('POST', '/v1/uploads', ok)).status, 201);
      await api('PATCH', `/v1/buckets/${b.id}`, { active: false });
      const inactive = await api('POST', '/v1/uploads', { ...ok, metadata: { sku: 'S2' } });
      assert.deepEqual([inactive.status, inactive.body.error!.details.reason], [400, 'bucket_inactive']);
    });

    it('an asset from several uploads into a bucket; the same content completed again is a duplicate; async complete has a task', async () => {
      const b = (await api('POST', '/v1/buckets', { name: 'multi', schema: SCHEMA, unique_key: ['sku'] })).body.data;
      const image = await png(40, 30);
      const poster = await png(20, 10);
      const parts = [];
      for (const [bytes, property] of [[image, 'image'], [poster, 'poster']] as const) {
        const u = (await api('POST', '/v1/uploads', { filename: `${property}.png`, content_type: 'image/png', file_size: bytes.length, bucket_id: b.id, bucket_property: property, create_asset: false, upload_metadata: { by: 'test' } })).body.data;
        assert.equal((await sendAndComplete(u, bytes)).status, 200);
        parts.push(u);
      }
      const asset = await api('POST', '/v1/assets', { uploads: [{ upload_id: parts[0].upload_id }, { upload_id: parts[1].upload_id, label: 'poster' }], bucket_id: b.id, metadata: { sku: 'M1' } });
      assert.equal(asset.status, 201, JSON.stringify(asset.body));
      assert.deepEqual(asset.body.data.sources.map((s: any) => s.label), ['original', 'poster']);
      assert.deepEqual((await api('GET', `/v1/uploads/${parts[0].upload_id}`)).body.data.upload_metadata, { by: 'test' });

      // The same image again, no file_hash: found at complete, said on the session.
      const again = (await api('POST', '/v1/uploads', { filename: 'image.png', content_type: 'image/png', file_size: image.length, bucket_id: b.id, metadata: { sku: 'M2' } })).body.data;
      const done = await sendAndComplete(again, image);
      assert.deepEqual([done.body.data.is_duplicate, done.body.data.duplicate_of], [true, parts[0].upload_id]);

      // Async: a task that reads the upload's state until it is completed.
      const third = (await api('POST', '/v1/uploads', { filename: 'image.png', content_type: 'image/png', file_size: poster.length, bucket_id: b.id, metadata: { sku: 'M3' }, skip_duplicates: false })).body.data;
      await fetch(third.upload_url, { method: 'PUT', headers: third.upload_method.headers, body: poster });
      const queued = await api('POST', `/v1/uploads/${third.upload_id}/complete`, { async: true });
      assert.equal(queued.status, 202);
      assert.match(queued.body.data.task_id, /^task_/);
      const task = await eventually(async () => {
        const res = (await api('GET', `/v1/tasks/${queued.body.data.task_id}`)).body.data;
        return res.status === 'completed' ? res : null;
      }, 20_000, 'the task');
      assert.deepEqual([task.upload_id, task.upload.is_duplicate, task.asset_id], [third.upload_id, false, third.asset_id], 'skip_duplicates: false is not reported');
      assert.equal((await api('GET', `/v1/tasks/${queued.body.data.task_id}`, undefined, other)).status, 404);
    });
  });
}

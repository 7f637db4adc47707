import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { partFiles, ResumableClient, textFile } from '../helpers/resumable-client.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

// Parallel parts race on the session row: the flow runs on SQLite and on PostgreSQL.
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`resumable upload on ${dialect}`, () => {
    let t: TestIntake;
    let key: string;
    let client: ResumableClient;
    let database: TestDatabase;

    before(async () => {
      database = await createTestDatabase(dialect);
      t = await startIntake({ INTAKE_DATABASE_URL: database.url, MAX_UPLOAD_SIZE_MB: String(200 * 1024) });
      ({ key } = await t.tenant());
      client = new ResumableClient(t.api, key);
    });
    after(async () => {
      await t.close();
      await database.drop();
    });

    it('takes parts out of order and in parallel, says uploading once one lands, and completes with the right SHA-256', async () => {
      const file = textFile(12 * MIB, 7);
      const s = await client.create({ filename: 'notes.txt', content_type: 'text/plain', file_size: file.length, file_hash: sha256(file), part_size: 5 * MIB });
      assert.equal(s.resumable, true);
      assert.equal(s.upload_url, null);
      assert.equal(s.status, 'pending');
      assert.equal(s.upload_method.method, 'PUT');
      assert.deepEqual(
        s.parts.urls.map((u) => [u.part_number, u.offset, u.size]),
        [[1, 0, 5 * MIB], [2, 5 * MIB, 5 * MIB], [3, 10 * MIB, 2 * MIB]],
      );
      assert.equal(s.parts.part_size, 5 * MIB);
      assert.equal(s.parts.count, 3);
      assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, file.length);

      const [p1, p2, p3] = s.parts.urls;
      const last = await client.sendPart(p3!.url, client.slice(file, p3!));
      assert.equal(last.status, 200, JSON.stringify(last.body));
      const status = await t.api('GET', `/v1/uploads/${s.upload_id}`, { key });
      assert.equal(status.body.data.status, 'uploading');
      assert.equal(status.body.data.status_code, 2);
      const etags = await client.sendParts(file, [p1!, p2!], 2);

      // A part's ETag is its SHA-256: a resuming client can check what the server holds.
      assert.equal(etags.get(1), `"${sha256(client.slice(file, p1!))}"`);
      const listed = await client.listParts(s.upload_id);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.data, [
        { part_number: 1, size: 5 * MIB, etag: etags.get(1) },
        { part_number: 2, size: 5 * MIB, etag: etags.get(2) },
        { part_number: 3, size: 2 * MIB, etag: last.etag },
      ]);

      const done = await client.complete(s.upload_id);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.status, 'completed');
      assert.equal(done.body.data.asset.sha256, sha256(file));
      assert.equal(done.body.data.asset.filesize, file.length);
      assert.deepEqual(await partFiles(t), [], 'parts are removed once joined');
      const back = await fetch(done.body.data.asset.url);
      assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(file));
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.deepEqual([usage.stored_bytes, usage.reserved_bytes], [file.length, 0]);
      assert.deepEqual((await client.listParts(s.upload_id)).body.data, []);
      // Complete again: the same answer, nothing re-joined.
      const again = await client.complete(s.upload_id);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.asset.sha256, sha256(file));
    });

    it('a re-sent part replaces the first copy; complete with the parts list uses the ETags given', async () => {
      const file = textFile(11 * MIB, 8);
      const s = await client.create({ filename: 'resent.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB });
      const [p1, p2, p3] = s.parts.urls;
      const wrong = await client.sendPart(p1!.url, textFile(5 * MIB, 99));
      assert.equal(wrong.status, 200);
      const etags = await client.sendParts(file, [p2!, p3!, p1!], 3);
      assert.notEqual(etags.get(1), wrong.etag);
      const listed = (await client.listParts(s.upload_id)).body.data;
      assert.equal(listed.length, 3);
      assert.equal(listed[0]!.etag, etags.get(1));
      const done = await client.complete(s.upload_id, [3, 1, 2].map((n) => ({ part_number: n, etag: etags.get(n)! })));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.asset.sha256, sha256(file));
    });
  });
}

describe('resumable sessions: defaults, part sizes and more URLs', () => {
  let t: TestIntake;
  let key: string;
  let client: ResumableClient;
  before(async () => {
    t = await startIntake({ MAX_UPLOAD_SIZE_MB: String(200 * 1024) });
    ({ key } = await t.tenant());
    client = new ResumableClient(t.api, key);
  });
  after(() => t.close());

  const create = (json: Record<string, unknown>) => t.api('POST', '/v1/uploads', { key, json: { filename: 'v.mp4', content_type: 'video/mp4', ...json } });

  it('is resumable by default above 64 MiB, simple at 64 MiB or less, and either when asked', async () => {
    const above = await create({ file_size: 64 * MIB + 1 });
    assert.equal(above.status, 201);
    assert.equal(above.body.data.resumable, true);
    assert.equal(above.body.data.parts.part_size, 16 * MIB);
    assert.equal(above.body.data.parts.count, 5);
    const at = await create({ file_size: 64 * MIB });
    assert.equal(at.body.data.resumable, false);
    assert.equal(at.body.data.parts, null);
    assert.ok(at.body.data.upload_url);
    const small = await create({ file_size: 1000, resumable: true });
    assert.equal(small.body.data.parts.count, 1);
    assert.equal(small.body.data.parts.urls[0].size, 1000);
    const big = await create({ file_size: GIB, resumable: false });
    assert.equal(big.body.data.resumable, false);
  });

  it('raises the part size to keep 10,000 parts at most, signs the first 100, and more on request', async () => {
    const size = 100 * GIB;
    const s = await create({ file_size: size, part_size: 5 * MIB });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const { part_size, count, urls } = s.body.data.parts;
    assert.equal(part_size, 11 * MIB);
    assert.equal(count, Math.ceil(size / (11 * MIB)));
    assert.ok(count <= 10_000);
    assert.equal(urls.length, 100);
    const more = await client.signParts(s.body.data.upload_id, [count, 101]);
    assert.equal(more.status, 200, JSON.stringify(more.body));
    assert.deepEqual(
      more.body.data.urls.map((u: any) => [u.part_number, u.offset, u.size]),
      [[101, 100 * part_size, part_size], [count, (count - 1) * part_size, size - (count - 1) * part_size]],
    );
    const beyond = await client.signParts(s.body.data.upload_id, [count + 1]);
    assert.equal(beyond.status, 400);
    assert.equal(beyond.body.error?.details.field, 'part_numbers');
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.body.data.upload_id}`, { key })).status, 200);
    const closed = await client.signParts(s.body.data.upload_id, [1]);
    assert.equal(closed.status, 409);
  });

  it('on local disk takes objects up to MAX_UPLOAD_SIZE_MB, resumable or not; one byte more is 413 and starts nothing', async () => {
    const limit = 200 * GIB;
    const before = await partFiles(t);
    const most = await create({ file_size: limit });
    assert.equal(most.status, 201, JSON.stringify(most.body));
    assert.equal(most.body.data.resumable, true);
    assert.ok(most.body.data.parts.count <= 10_000);
    for (const json of [{ file_size: limit + 1 }, { file_size: limit + 1, resumable: true }]) {
      const over = await create(json);
      assert.equal(over.status, 413, JSON.stringify(over.body));
      assert.equal(over.body.error?.code, 'file_too_large');
      assert.equal(over.body.error?.details.max_size, limit);
    }
    assert.equal((await t.api('DELETE', `/v1/uploads/${most.body.data.upload_id}`, { key })).status, 200);
    assert.deepEqual(await partFiles(t), before, 'a refused or canceled session leaves no multipart upload');
  });

  it('a resumable session with create_asset: false completes without an asset, its bytes kept to attach', async () => {
    const file = textFile(6 * MIB, 3);
    const s = await client.create({ filename: 'part.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB, create_asset: false });
    assert.equal(s.asset_id, null);
    await client.sendParts(file, s.parts.urls);
    const done = await client.complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.asset, null);
    assert.equal(done.body.data.status, 'completed');
    const attached = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: s.upload_id }] } });
    assert.equal(attached.status, 201, JSON.stringify(attached.body));
    assert.equal(attached.body.data.sha256, sha256(file));
  });

  it('refuses a part_size for a simple upload, a POST form for a resumable one, and a part over 5 GiB', async () => {
    const before = await partFiles(t);
    for (const [json, field] of [
      [{ file_size: 1000, part_size: 5 * MIB }, 'part_size'],
      [{ file_size: 1000, resumable: true, method: 'POST' }, 'method'],
      [{ file_size: 100 * MIB, part_size: 5 * GIB + 1 }, 'part_size'],
      [{ file_size: 100 * MIB, part_size: MIB }, 'part_size'],
    ] as const) {
      const res = await create(json);
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal(res.body.error?.details.field, field);
    }
    assert.deepEqual(await partFiles(t), before, 'a refused session starts no multipart upload');
  });
});

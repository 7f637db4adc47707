/**
 * Resumable sessions with INTAKE_STORAGE=s3 against a real S3 server (Ceph RGW): parts go
 * from the client straight to the bucket through presigned UploadPart URLs; Intake starts,
 * lists, completes and aborts the multipart upload. Refusals of part URLs come from the
 * S3 server itself.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SigV4Presigner } from '../../src/storage/sigv4.js';
import { reconcileStorage } from '../../src/uploads/reconcile-storage.js';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { ResumableClient, textFile, type Session } from '../helpers/resumable-client.js';

const MIB = 1024 * 1024;

describe('resumable upload on S3 (Ceph RGW)', () => {
  let b: TestBucket;
  let t: TestIntake;
  let key: string;
  let namespaceId: string;
  let client: ResumableClient;

  before(async () => {
    b = await testBucket('intake-resumable');
    t = await startIntake(s3Env(b, { MAX_UPLOAD_SIZE_MB: String(5 * 1024 * 1024) }));
    ({ key, namespaceId } = await t.tenant());
    client = new ResumableClient(t.api, key);
  });
  after(async () => {
    await t?.close();
    await b?.drop();
  });
  afterEach(async () => {
    for (const status of ['pending', 'uploading']) {
      for (const u of (await t.api('GET', `/v1/uploads?status=${status}`, { key })).body.data) await t.api('DELETE', `/v1/uploads/${u.id}`, { key });
    }
  });

  const openUploads = async () => (await b.leftovers()).filter((x) => x.startsWith('multipart:'));
  const under = async (id: string) => (await b.keys()).filter((k) => k.includes(id));
  async function session(size: number, json: Record<string, unknown> = {}): Promise<{ s: Session; file: Buffer }> {
    const file = textFile(size, size);
    return { s: await client.create({ filename: 'doc.txt', content_type: 'text/plain', file_size: size, part_size: 5 * MIB, ...json }), file };
  }

  it('takes parts out of order, in parallel and re-sent, straight into the bucket, and completes with the right SHA-256', async () => {
    const { s, file } = await session(11 * MIB, {});
    assert.equal(s.provider, 's3');
    assert.equal(new URL(s.parts.urls[0]!.url).origin, b.server.endpoint);
    assert.deepEqual(await openUploads(), [`multipart:${s.key}`]);
    const [p1, p2, p3] = s.parts.urls;
    assert.equal((await client.sendPart(p3!.url, client.slice(file, p3!))).status, 200);
    assert.equal((await client.sendPart(p1!.url, textFile(5 * MIB, 99))).status, 200, 'a wrong first copy of part 1');
    const etags = await client.sendParts(file, [p1!, p2!], 2);
    const listed = await client.listParts(s.upload_id);
    assert.deepEqual(listed.body.data.map((p) => [p.part_number, p.size]), [[1, 5 * MIB], [2, 5 * MIB], [3, MIB]]);
    assert.equal(listed.body.data[0]!.etag, etags.get(1));
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'uploading');

    const done = await client.complete(s.upload_id, listed.body.data.map((p) => ({ part_number: p.part_number, etag: p.etag })));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.asset.sha256, sha256(file));
    const back = await fetch(done.body.data.asset.url);
    assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(file));
    assert.deepEqual(await openUploads(), []);
  });

  it('takes objects up to 5 TiB (S3\'s limit, and the configuration\'s), with the part size raised to fit 10,000 parts; one byte more is 413', async () => {
    const TIB = 1024 ** 4;
    const json = { filename: 'huge.txt', content_type: 'text/plain' };
    const most = await t.api('POST', '/v1/uploads', { key, json: { ...json, file_size: 5 * TIB } });
    assert.equal(most.status, 201, JSON.stringify(most.body));
    // 5 TiB / 10,000 is 524.3 MiB: the next whole MiB, 525 MiB, gives 9,987 parts.
    assert.equal(most.body.data.parts.part_size, 525 * MIB);
    assert.equal(most.body.data.parts.count, 9987);
    const over = await t.api('POST', '/v1/uploads', { key, json: { ...json, file_size: 5 * TIB + 1 } });
    assert.equal(over.status, 413);
    assert.equal(over.body.error?.details.max_size, 5 * TIB);
    // One S3 PUT holds at most 5 GiB: a larger simple session could never be sent.
    const single = await t.api('POST', '/v1/uploads', { key, json: { ...json, file_size: 5 * 1024 ** 3 + 1, resumable: false } });
    assert.equal(single.status, 400);
    assert.equal(single.body.error?.details.field, 'resumable');
    assert.equal((await t.api('POST', '/v1/uploads', { key, json: { ...json, file_size: 5 * 1024 ** 3, resumable: false } })).status, 201);
  });

  it('refuses a missing part and a wrong ETag at complete (422), aborting the multipart upload', async () => {
    const { s, file } = await session(11 * MIB);
    await client.sendParts(file, [s.parts.urls[0]!, s.parts.urls[2]!]);
    const missing = await client.complete(s.upload_id);
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error?.details.reason, 'missing_part');
    assert.equal(missing.body.error?.details.part_number, 2);

    const { s: s2, file: f2 } = await session(11 * MIB);
    const etags = await client.sendParts(f2, s2.parts.urls);
    const wrong = await client.complete(s2.upload_id, [1, 2, 3].map((n) => ({ part_number: n, etag: n === 2 ? etags.get(1)! : etags.get(n)! })));
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error?.details.reason, 'etag_mismatch');
    assert.deepEqual(await openUploads(), []);
    assert.deepEqual([...(await under(s.upload_id)), ...(await under(s2.upload_id))], []);
  });

  it('checks the whole file\'s SHA-256 by streaming the joined object: other bytes than file_hash are 422 checksum_mismatch, nothing left', async () => {
    const file = textFile(11 * MIB, 31);
    const { s } = await session(file.length, { file_hash: sha256(file) });
    const [p1, p2, p3] = s.parts.urls;
    await client.sendParts(file, [p1!, p3!]);
    // The right size (it is signed), other bytes.
    assert.equal((await client.sendPart(p2!.url, textFile(p2!.size, 32))).status, 200);
    const done = await client.complete(s.upload_id);
    assert.equal(done.status, 422, JSON.stringify(done.body));
    assert.equal(done.body.error?.details.reason, 'checksum_mismatch');
    assert.equal(done.body.error?.details.actual, sha256(Buffer.concat([client.slice(file, p1!), textFile(p2!.size, 32), client.slice(file, p3!)])));
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'failed');
    assert.deepEqual(await openUploads(), []);
    assert.deepEqual(await under(s.upload_id), []);
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);
  });

  it('an async complete answers 202 and verifies the joined object in a job, with the right SHA-256', async () => {
    const file = textFile(11 * MIB, 33);
    const { s } = await session(file.length, { file_hash: sha256(file) });
    await client.sendParts(file, s.parts.urls);
    const res = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: { async: true } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.data.status, 'processing');
    const u = await eventually(async () => {
      const got = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data;
      return got.status === 'processing' ? null : got;
    }, 30_000, 'the verification job');
    assert.equal(u.status, 'completed', JSON.stringify(u));
    const asset = (await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).body.data;
    assert.equal(asset.sha256, sha256(file));
    assert.deepEqual(await openUploads(), []);
  });

  it('the store refuses a part of another size, another part number, another session and an expired URL', async () => {
    const { s, file } = await session(11 * MIB);
    const { s: other } = await session(11 * MIB);
    const p1 = s.parts.urls[0]!;
    const bytes = client.slice(file, p1);
    const short = await client.sendPart(p1.url, bytes.subarray(0, MIB));
    assert.equal(short.status, 403, 'the part size is signed: a short middle part never lands');
    const swap = (url: string, name: string, value: string) => {
      const u = new URL(url);
      u.searchParams.set(name, value);
      return u.toString();
    };
    assert.equal((await client.sendPart(swap(p1.url, 'partNumber', '2'), bytes)).status, 403);
    const otherId = new URL(other.parts.urls[0]!.url).searchParams.get('uploadId')!;
    assert.equal((await client.sendPart(swap(p1.url, 'uploadId', otherId), bytes)).status, 403);
    const uploadId = new URL(p1.url).searchParams.get('uploadId')!;
    const expired = await new SigV4Presigner(b.storage.clients.presign, b.bucket).presign({
      method: 'PUT',
      key: s.key,
      expiresIn: 60,
      headers: { 'Content-Length': String(p1.size) },
      query: { partNumber: '1', uploadId },
      now: new Date(Date.now() - 120_000),
    });
    assert.equal((await client.sendPart(expired, bytes)).status, 403);
    assert.deepEqual((await client.listParts(s.upload_id)).body.data, []);
  });

  it('cancel and expiry abort the multipart upload and leave no bytes; reconciliation aborts one no session owns', async () => {
    const { s, file } = await session(11 * MIB);
    await client.sendParts(file, [s.parts.urls[0]!]);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'canceled');
    const { s: late, file: lateFile } = await session(11 * MIB, { expires_in: 60 });
    await client.sendParts(lateFile, [late.parts.urls[1]!]);
    t.clock.advance(61);
    try {
      assert.equal((await t.api('GET', `/v1/uploads/${late.upload_id}`, { key })).body.data.status, 'expired');
    } finally {
      t.clock.advance(-61);
    }
    assert.deepEqual(await openUploads(), []);
    assert.deepEqual([...(await under(s.upload_id)), ...(await under(late.upload_id))], []);
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);

    const orphanKey = `${namespaceId}/upl_crashedbeforerow0000/original`;
    await b.storage.createMultipart(orphanKey, { contentType: 'text/plain' });
    const { s: open } = await session(11 * MIB);
    assert.equal((await openUploads()).length, 2);
    await reconcileStorage(t.intake.deps, 0);
    assert.deepEqual(await openUploads(), [`multipart:${open.key}`]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { partFiles, ResumableClient, textFile, type Session } from '../helpers/resumable-client.js';

const MIB = 1024 * 1024;

let t: TestIntake;
let key: string;
let client: ResumableClient;
before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant({ quota_bytes: 1024 * MIB }));
  client = new ResumableClient(t.api, key);
});
after(() => t.close());

async function session(size = 12 * MIB, json: Record<string, unknown> = {}): Promise<{ s: Session; file: Buffer }> {
  const file = textFile(size, size);
  return { s: await client.create({ filename: 'doc.txt', content_type: 'text/plain', file_size: size, part_size: 5 * MIB, ...json }), file };
}

/** A refused complete fails the session (the contract), removes every part and gives the quota back. */
async function assertFailed(s: Session, res: Awaited<ReturnType<ResumableClient['complete']>>, reason: string, partNumber?: number) {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, 'verification_failed');
  assert.equal(res.body.error?.details.reason, reason);
  if (partNumber !== undefined) assert.equal(res.body.error?.details.part_number, partNumber);
  const got = await t.api('GET', `/v1/uploads/${s.upload_id}`, { key });
  assert.equal(got.body.data.status, 'failed');
  assert.equal(got.body.data.error.details.reason, reason);
  // Every session of this suite ends failed: no multipart upload may remain.
  assert.deepEqual(await partFiles(t), []);
  assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)));
  assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);
  const again = await client.complete(s.upload_id);
  assert.equal(again.status, 422);
  assert.equal(again.body.error?.details.reason, reason);
}

describe('complete of a resumable session refuses bad parts', () => {
  it('a part never sent: missing_part, naming it', async () => {
    const { s, file } = await session();
    await client.sendParts(file, [s.parts.urls[0]!, s.parts.urls[2]!]);
    assert.equal((await partFiles(t)).filter((f) => /part-\d{5}$/.test(f)).length, 2);
    await assertFailed(s, await client.complete(s.upload_id), 'missing_part', 2);
  });

  it('a listed part that never arrived: missing_part', async () => {
    const { s, file } = await session();
    const etags = await client.sendParts(file, s.parts.urls.slice(0, 2));
    const parts = [1, 2, 3].map((n) => ({ part_number: n, etag: etags.get(n) ?? '"nope"' }));
    await assertFailed(s, await client.complete(s.upload_id, parts), 'missing_part', 3);
  });

  it('a listed ETag that is not the part held (it was re-sent since): etag_mismatch', async () => {
    const { s, file } = await session();
    const first = await client.sendParts(file, s.parts.urls);
    const resent = await client.sendPart(s.parts.urls[1]!.url, textFile(5 * MIB, 3));
    assert.notEqual(resent.etag, first.get(2));
    const parts = [1, 2, 3].map((n) => ({ part_number: n, etag: first.get(n)! }));
    await assertFailed(s, await client.complete(s.upload_id, parts), 'etag_mismatch', 2);
  });

  it('a middle part under 5 MiB: part_too_small', async () => {
    const { s, file } = await session();
    const [p1, p2, p3] = s.parts.urls;
    await client.sendParts(file, [p1!, p3!]);
    const short = await client.sendPart(p2!.url, file.subarray(p2!.offset, p2!.offset + MIB));
    assert.equal(short.status, 200);
    await assertFailed(s, await client.complete(s.upload_id), 'part_too_small', 2);
  });

  it('parts that do not add up to file_size: size_mismatch', async () => {
    const { s, file } = await session();
    const [p1, p2, p3] = s.parts.urls;
    await client.sendParts(file, [p1!, p2!]);
    assert.equal((await client.sendPart(p3!.url, file.subarray(p3!.offset, p3!.offset + 100))).status, 200);
    await assertFailed(s, await client.complete(s.upload_id), 'size_mismatch');
  });

  it('a part listed twice: duplicate_part', async () => {
    const { s, file } = await session();
    const etags = await client.sendParts(file, s.parts.urls);
    const parts = [1, 2, 2, 3].map((n) => ({ part_number: n, etag: etags.get(n)! }));
    await assertFailed(s, await client.complete(s.upload_id, parts), 'duplicate_part', 2);
  });

  it('parts that join into other bytes than file_hash: checksum_mismatch (the whole file\'s SHA-256 is checked)', async () => {
    const file = textFile(12 * MIB, 77);
    const { s } = await session(file.length, { file_hash: sha256(file) });
    // Every part is the right size and arrives whole, but part 2 holds other bytes.
    const [p1, p2, p3] = s.parts.urls;
    await client.sendParts(file, [p1!, p3!]);
    assert.equal((await client.sendPart(p2!.url, textFile(p2!.size, 78))).status, 200);
    await assertFailed(s, await client.complete(s.upload_id), 'checksum_mismatch');
  });
});

describe('complete of a resumable session before any part', () => {
  it('is 409 no_bytes_yet and leaves the session pending: the parts can still come, and complete then joins them', async () => {
    const { s, file } = await session();
    for (const parts of [undefined, [{ part_number: 1, etag: '"nope"' }]]) {
      const early = await client.complete(s.upload_id, parts);
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.deepEqual(early.body.error?.details, { reason: 'no_bytes_yet', status: 'pending' });
    }
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'pending');
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, file.length, 'still reserved');
    await client.sendParts(file, s.parts.urls);
    const done = await client.complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.status, 'completed');
    assert.deepEqual(await partFiles(t), []);
  });
});

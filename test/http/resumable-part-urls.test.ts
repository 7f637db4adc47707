import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import type { LocalDiskStorage } from '../../src/storage/local.js';
import { reconcileStorage } from '../../src/uploads/reconcile-storage.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { partFiles, ResumableClient, textFile, type Session } from '../helpers/resumable-client.js';
import { manualStream } from './error-helpers.js';

const MIB = 1024 * 1024;

let t: TestIntake;
let key: string;
let namespaceId: string;
let client: ResumableClient;
before(async () => {
  t = await startIntake();
  ({ key, namespaceId } = await t.tenant({ quota_bytes: 1024 * MIB }));
  client = new ResumableClient(t.api, key);
});
after(() => t.close());
// Each test starts with no open session, so it can count the parts on disk.
afterEach(async () => {
  for (const status of ['pending', 'uploading']) {
    for (const u of (await t.api('GET', `/v1/uploads?status=${status}`, { key })).body.data) await t.api('DELETE', `/v1/uploads/${u.id}`, { key });
  }
});

async function session(size = 11 * MIB, json: Record<string, unknown> = {}): Promise<{ s: Session; file: Buffer }> {
  const file = textFile(size, size);
  return { s: await client.create({ filename: 'doc.txt', content_type: 'text/plain', file_size: size, part_size: 5 * MIB, ...json }), file };
}

/** Part files (not temp, key or hash files) of every multipart upload. */
const heldParts = async () => (await partFiles(t)).filter((f) => /part-\d{5}$/.test(f));

function withQuery(url: string, change: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(change)) u.searchParams.set(k, v);
  return u.toString();
}

describe('part URLs are bound like simple PUT URLs', () => {
  it('refuse another session, another part number, another size cap, and leave nothing behind', async () => {
    const { s, file } = await session();
    const { s: other } = await session();
    const p1 = s.parts.urls[0]!;
    const bytes = client.slice(file, p1);
    const tampered = [
      withQuery(p1.url, { upload: other.upload_id }),
      p1.url.replace(s.upload_id, other.upload_id),
      withQuery(p1.url, { part: '2' }),
      withQuery(p1.url, { max: String(11 * MIB) }),
      other.parts.urls[0]!.url.replace(other.upload_id, s.upload_id),
    ];
    for (const url of tampered) {
      const res = await client.sendPart(url, bytes);
      assert.equal(res.status, 403, url);
      assert.equal(res.body.error.details.reason, 'bad_signature');
    }
    assert.deepEqual(await heldParts(), []);
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'pending');
  });

  it('refuse a body over the part size, declared or streamed, keeping no bytes', async () => {
    const { s } = await session();
    const p3 = s.parts.urls[2]!;
    const declared = await client.sendPart(p3.url, textFile(p3.size + 1));
    assert.equal(declared.status, 413);
    const stream = manualStream();
    const pending = fetch(p3.url, { method: 'PUT', body: stream.body, duplex: 'half' } as RequestInit);
    stream.push(textFile(p3.size));
    stream.push(textFile(10));
    stream.end();
    assert.equal((await pending).status, 413);
    assert.deepEqual(await heldParts(), []);
  });

  it('one writer per part: a second PUT of a part in flight is 409, another part goes ahead', async () => {
    const { s, file } = await session();
    const [p1, p2] = s.parts.urls;
    const stream = manualStream();
    const first = fetch(p1!.url, { method: 'PUT', body: stream.body, duplex: 'half', headers: { 'content-length': String(p1!.size) } } as RequestInit);
    stream.push(client.slice(file, p1!).subarray(0, MIB));
    await eventually(async () => (await partFiles(t)).some((f) => f.includes('tmp-')), 10_000, 'part 1 arriving');
    const second = await client.sendPart(p1!.url, client.slice(file, p1!));
    assert.equal(second.status, 409);
    assert.equal(second.body.error.details.reason, 'upload_in_progress');
    assert.equal((await client.sendPart(p2!.url, client.slice(file, p2!))).status, 200);
    stream.push(client.slice(file, p1!).subarray(MIB));
    stream.end();
    assert.equal((await first).status, 200);
    assert.deepEqual((await client.listParts(s.upload_id)).body.data.map((p) => p.part_number), [1, 2]);
  });

  it('a part cut off mid-way keeps no bytes, and the part can be sent again', async () => {
    const { s, file } = await session();
    const p1 = s.parts.urls[0]!;
    const stream = manualStream();
    const abort = new AbortController();
    const pending = fetch(p1.url, { method: 'PUT', body: stream.body, duplex: 'half', signal: abort.signal, headers: { 'content-length': String(p1.size) } } as RequestInit);
    stream.push(client.slice(file, p1).subarray(0, MIB));
    await eventually(async () => (await partFiles(t)).some((f) => f.includes('tmp-')), 10_000, 'the part arriving');
    abort.abort();
    await assert.rejects(pending);
    await eventually(async () => !(await partFiles(t)).some((f) => f.includes('tmp-')), 10_000, 'the temp file removed');
    assert.deepEqual(await heldParts(), []);
    assert.deepEqual((await client.listParts(s.upload_id)).body.data, []);
    const again = await client.sendPart(p1.url, client.slice(file, p1));
    assert.equal(again.status, 200);
  });

  it('a re-sent part cut off mid-way leaves the first copy in place (the replacement is atomic)', async () => {
    const { s, file } = await session();
    const [p1, p2, p3] = s.parts.urls;
    const first = await client.sendPart(p1!.url, client.slice(file, p1!));
    assert.equal(first.status, 200);
    const stream = manualStream();
    const abort = new AbortController();
    const pending = fetch(p1!.url, { method: 'PUT', body: stream.body, duplex: 'half', signal: abort.signal, headers: { 'content-length': String(p1!.size) } } as RequestInit);
    stream.push(textFile(p1!.size, 4242).subarray(0, MIB));
    await eventually(async () => (await partFiles(t)).some((f) => f.includes('tmp-')), 10_000, 'the second copy arriving');
    abort.abort();
    await assert.rejects(pending);
    await eventually(async () => !(await partFiles(t)).some((f) => f.includes('tmp-')), 10_000, 'the temp file removed');
    assert.deepEqual((await client.listParts(s.upload_id)).body.data, [{ part_number: 1, size: p1!.size, etag: first.etag }]);
    await client.sendParts(file, [p2!, p3!]);
    const done = await client.complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.asset.sha256, sha256(file));
    assert.deepEqual(await partFiles(t), []);
  });

  it('refuse after expiry (410), and after complete or cancel (409)', async () => {
    const { s, file } = await session(1000, { expires_in: 60 });
    const p1 = s.parts.urls[0]!;
    t.clock.advance(61);
    try {
      const late = await client.sendPart(p1.url, file);
      assert.equal(late.status, 410);
      assert.equal(late.body.error.code, 'expired');
    } finally {
      t.clock.advance(-61);
    }

    const { s: done, file: doneFile } = await session(1000);
    await client.sendParts(doneFile, done.parts.urls);
    assert.equal((await client.complete(done.upload_id)).status, 200);
    const afterComplete = await client.sendPart(done.parts.urls[0]!.url, textFile(1000, 5));
    assert.equal(afterComplete.status, 409);

    const { s: gone, file: goneFile } = await session(1000);
    assert.equal((await t.api('DELETE', `/v1/uploads/${gone.upload_id}`, { key })).status, 200);
    const afterCancel = await client.sendPart(gone.parts.urls[0]!.url, goneFile);
    assert.equal(afterCancel.status, 409);
    assert.equal(afterCancel.body.error.details.status, 'canceled');
  });
});

describe('cancel and expiry of a resumable session', () => {
  it('cancel removes every part and gives the reservation back', async () => {
    const { s, file } = await session();
    await client.sendParts(file, s.parts.urls.slice(0, 2));
    assert.equal((await heldParts()).length, 2);
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, file.length);
    const canceled = await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key });
    assert.equal(canceled.body.data.status, 'canceled');
    assert.deepEqual(await partFiles(t), []);
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);
    assert.deepEqual((await client.listParts(s.upload_id)).body.data, []);
  });

  it('expiry, read lazily or by the sweeper, removes every part and gives the reservation back', async () => {
    const { s: read, file } = await session(11 * MIB, { expires_in: 60 });
    const { s: swept } = await session(11 * MIB, { expires_in: 60 });
    await client.sendParts(file, [read.parts.urls[1]!]);
    await client.sendParts(file, [swept.parts.urls[0]!]);
    assert.equal((await heldParts()).length, 2);
    t.clock.advance(61);
    try {
      assert.equal((await t.api('GET', `/v1/uploads/${read.upload_id}`, { key })).body.data.status, 'expired');
      assert.equal((await heldParts()).length, 1);
      assert.ok((await t.intake.sweep()).expired >= 1);
      assert.equal((await t.api('GET', `/v1/uploads/${swept.upload_id}`, { key })).body.data.status, 'expired');
      assert.deepEqual(await partFiles(t), []);
      assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);
    } finally {
      t.clock.advance(-61);
    }
  });
});

describe('reconciliation', () => {
  it('aborts multipart uploads no open session owns, and keeps those of open sessions', async () => {
    const storage = t.intake.deps.storage as LocalDiskStorage;
    const { s: open, file } = await session();
    await client.sendParts(file, [open.parts.urls[0]!]);
    // A crash between starting a multipart upload and recording its session.
    const orphanKey = `${namespaceId}/upl_crashedbeforerow0000/original`;
    const orphan = await storage.createMultipart(orphanKey);
    await storage.writePart(orphanKey, orphan, 1, Readable.from([Buffer.from('abandoned')]), { maxSize: 100, contentType: 'text/plain' });
    // A session closed without its parts being removed (the abort failed).
    const { s: closed } = await session();
    await client.sendParts(file, [closed.parts.urls[0]!]);
    await t.intake.deps.store.uploads.transition(closed.upload_id, ['pending', 'uploading'], { status: 'canceled' });
    assert.equal((await heldParts()).length, 3);

    const result = await reconcileStorage(t.intake.deps, 0);
    assert.ok(result.removed >= 2);
    const left = await heldParts();
    assert.equal(left.length, 1);
    assert.deepEqual((await client.listParts(open.upload_id)).body.data.map((p) => p.part_number), [1]);
    assert.deepEqual((await client.listParts(closed.upload_id)).body.data, []);
    assert.equal((await t.api('DELETE', `/v1/uploads/${open.upload_id}`, { key })).status, 200);
  });
});

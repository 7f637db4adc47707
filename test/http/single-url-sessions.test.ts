/**
 * Native sessions that learn their size from the bytes, and single-URL resumable sessions:
 * `POST /v1/uploads` without file_size (bare_form, single_url, store_put), parts PUT to one
 * `/store/resumable` URL with X-Upload-Index, finished by a keyless POST {parts}; a whole
 * file PUT to `/store/single`; quota taken while the bytes stream; a kind's limit bounds a
 * bare form or a PUT as it streams; the conditions hold; nothing is left behind on refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, useIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';

const MIB = 1024 * 1024;
const t = useIntake();

const form = (url: string, bytes: Buffer) => {
  const f = new FormData();
  f.append('file', new Blob([bytes]), 'x.bin');
  return fetch(url, { method: 'POST', body: f });
};
const put = (url: string, i: number, bytes: Buffer) => fetch(url, { method: 'PUT', headers: { 'X-Upload-Index': String(i) }, body: bytes });
/** A whole file to a store_put URL, with its Content-Length. */
const putWhole = (url: string, bytes: Buffer) => fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: bytes });

/**
 * A whole file sent chunked (no Content-Length), so the server finds out its size as it
 * streams. A server that refuses it answers and closes while the client may still be
 * writing: the client then sees the reset rather than the answer.
 */
async function putChunked(url: string, bytes: Buffer): Promise<{ status: number; body: any } | { reset: true }> {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let at = 0; at < bytes.length; at += 64 * 1024) c.enqueue(bytes.subarray(at, at + 64 * 1024));
      c.close();
    },
  });
  try {
    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body, duplex: 'half' } as RequestInit);
    return { status: res.status, body: await res.json() };
  } catch {
    return { reset: true };
  }
}

describe('sessions without a declared size', () => {
  it('file_size is required unless bare_form or single_url; max_size only without it', async () => {
    const plain = await t.api('POST', '/v1/uploads', { key: t.key, json: { filename: 'a.png', content_type: 'image/png' } });
    assert.deepEqual([plain.status, plain.body.error?.details.field], [400, 'file_size']);
    const both = await t.api('POST', '/v1/uploads', { key: t.key, json: { bare_form: true, file_size: 10, max_size: 5, filename: 'a.png', content_type: 'image/png' } });
    assert.deepEqual([both.status, both.body.error?.details.field], [400, 'max_size']);
    const single = await t.api('POST', '/v1/uploads', { key: t.key, json: { single_url: true, resumable: false } });
    assert.deepEqual([single.status, single.body.error?.details.field], [400, 'resumable']);
    for (const other of [{ resumable: true }, { method: 'POST' }, { bare_form: true }, { single_url: true }, { part_size: 8 * MIB }, { protocol: 'tus' }]) {
      const res = await t.api('POST', '/v1/uploads', { key: t.key, json: { store_put: true, ...other } });
      assert.deepEqual([res.status, res.body.error?.details.field], [400, 'store_put'], JSON.stringify(other));
    }
  });

  it('single_url: parts of any size by index in any order, a keyless POST {parts}; the size learned; one use', async () => {
    const s = await t.api('POST', '/v1/uploads', { key: t.key, json: { single_url: true } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.deepEqual([s.body.data.upload_method.method, s.body.data.parts, s.body.data.filename, s.body.data.content_type], ['PUT', null, 'upload', 'application/octet-stream']);
    const url: string = s.body.data.upload_url;
    assert.match(url, /\/store\/resumable\?key=/);
    const text = Buffer.alloc(6 * MIB + 123, 'a line of plain text\n');
    const answers: any[] = [];
    for (const [i, chunk] of [[1, text.subarray(6 * MIB)], [0, text.subarray(0, 6 * MIB)]] as const) {
      const res = await put(url, i, chunk);
      const body = (await res.json()) as any;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.deepEqual([body.data.index, body.data.size, res.headers.get('etag')], [i, chunk.length, body.data.etag]);
      answers.push({ index: body.data.index, etag: body.data.etag });
    }
    const done = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts: answers }) });
    const body = (await done.json()) as any;
    assert.equal(done.status, 200, JSON.stringify(body));
    assert.deepEqual([body.data.status, body.data.file_size, body.data.content_type], ['completed', text.length, 'text/plain']);
    const usage = (await t.api('GET', '/v1/usage', { key: t.key })).body.data;
    assert.equal(usage.reserved_bytes, 0, 'the parts\' reservation was released at complete');
    assert.equal((await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts: answers }) })).status, 409);
  });

  it('single_url without a size, completed natively: the parts must be listed (400 without), then their total is the size', async () => {
    const s = await t.api('POST', '/v1/uploads', { key: t.key, json: { single_url: true, filename: 'notes.txt', content_type: 'text/plain' } });
    const text = Buffer.alloc(1000, 'plain text\n');
    const part = ((await (await put(s.body.data.upload_url, 0, text)).json()) as any).data;
    const unlisted = await t.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key: t.key, json: {} });
    assert.deepEqual([unlisted.status, unlisted.body.error?.details.field], [400, 'parts']);
    const listed = await t.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key: t.key, json: { parts: [{ part_number: 1, etag: part.etag }] } });
    assert.deepEqual([listed.status, listed.body.data.file_size, listed.body.data.asset.filename], [200, text.length, 'notes.txt']);
  });

  it('bare_form without a size on a small quota: refused as it streams (403 quota_exceeded), nothing kept or reserved', async () => {
    const tight = await t.tenant({ quota_bytes: MIB });
    const s = await t.api('POST', '/v1/uploads', { key: tight.key, json: { bare_form: true } });
    assert.equal(s.status, 201, 'a session that declared no size reserves nothing up front');
    const res = await form(s.body.data.upload_url, Buffer.concat([await png(8, 8), Buffer.alloc(3 * MIB)]));
    const body = (await res.json()) as any;
    assert.deepEqual([res.status, body.error?.code], [403, 'quota_exceeded']);
    const usage = (await t.api('GET', '/v1/usage', { key: tight.key })).body.data;
    assert.deepEqual([usage.stored_bytes, usage.reserved_bytes], [0, 0]);
    assert.deepEqual(await t.tempFiles(), []);
    // The session is still open: a file that fits is taken.
    assert.equal((await form(s.body.data.upload_url, await png(8, 8))).status, 200);
  });

  it('bare_form without a size: the bytes say; a kind\'s limit bounds the stream; conditions hold; nothing left', async () => {
    const small = await t.tenant({ limits: { image: MIB } });
    const s = await t.api('POST', '/v1/uploads', { key: small.key, json: { bare_form: true } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const ok = await png(32, 32);
    const sent = await form(s.body.data.upload_url, ok);
    assert.equal(sent.status, 200);
    const done = await t.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key: small.key });
    assert.deepEqual([done.status, done.body.data.file_size, done.body.data.asset.width], [200, ok.length, 32]);
    await t.settled();
    const stored = (await t.api('GET', '/v1/usage', { key: small.key })).body.data.stored_bytes;

    // A PNG over the namespace's 1 MiB image limit: 413 while it streams.
    const big = Buffer.concat([await png(8, 8), Buffer.alloc(2 * MIB)]);
    const s2 = await t.api('POST', '/v1/uploads', { key: small.key, json: { bare_form: true } });
    assert.equal((await form(s2.body.data.upload_url, big)).status, 413);

    // Conditions on the probed media: refused at complete, bytes removed.
    const s3 = await t.api('POST', '/v1/uploads', { key: small.key, json: { bare_form: true, conditions: { operator: '&&', rules: [{ key: 'width', operator: '>=', value: 100 }] } } });
    assert.equal((await form(s3.body.data.upload_url, ok)).status, 200);
    const refused = await t.api('POST', `/v1/uploads/${s3.body.data.upload_id}/complete`, { key: small.key });
    assert.deepEqual([refused.status, refused.body.error?.code], [422, 'conditions_not_met']);
    await t.settled();
    const usage = (await t.api('GET', '/v1/usage', { key: small.key })).body.data;
    assert.deepEqual([usage.stored_bytes, usage.reserved_bytes], [stored, 0], 'the refused uploads left no bytes and no reservation');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('store_put: the whole file by one keyless PUT to Intake\'s own URL, the size learned; one file per session', async () => {
    const s = await t.api('POST', '/v1/uploads', { key: t.key, json: { store_put: true, filename: 'p.png', content_type: 'image/png' } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const url: string = s.body.data.upload_url;
    assert.match(url, /\/store\/single\?key=/);
    assert.deepEqual(s.body.data.upload_method, { method: 'PUT', headers: { 'Content-Type': 'image/png' } });
    assert.match(s.body.data.next_step, /learned from the bytes/);
    assert.equal((await t.api('GET', '/v1/usage', { key: t.key })).body.data.reserved_bytes, 0, 'nothing is reserved before the bytes');
    const preflight = await fetch(url, { method: 'OPTIONS' });
    assert.deepEqual([preflight.status, preflight.headers.get('access-control-allow-methods')], [204, 'POST, PUT']);

    const bytes = await png(40, 30);
    const sent = await putWhole(url, bytes);
    const answer = (await sent.json()) as any;
    assert.equal(sent.status, 200, JSON.stringify(answer));
    assert.deepEqual([answer.data.size, sent.headers.get('etag')], [bytes.length, answer.data.etag]);
    assert.equal((await putWhole(url, bytes)).status, 409, 'a second PUT cannot replace the file');
    assert.equal((await t.api('GET', `/v1/uploads/${s.body.data.upload_id}`, { key: t.key })).body.data.file_size, bytes.length);
    const done = await t.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key: t.key, json: { etag: answer.data.etag } });
    assert.deepEqual([done.status, done.body.data.file_size, done.body.data.asset.width], [200, bytes.length, 40]);
    // Its content is known now: a session that names its hash (and no size) is the duplicate at once.
    const dup = await t.api('POST', '/v1/uploads', { key: t.key, json: { store_put: true, filename: 'p.png', content_type: 'image/png', file_hash: sha256(bytes) } });
    assert.deepEqual([dup.status, dup.body.data.is_duplicate, dup.body.data.upload_url, dup.body.data.file_size], [200, true, null, bytes.length]);

    // A key for parts (single_url) or for a form (bare_form) does not take a whole file here.
    const parts = await t.api('POST', '/v1/uploads', { key: t.key, json: { single_url: true } });
    const asWhole = await fetch(parts.body.data.upload_url.replace('/store/resumable', '/store/single'), { method: 'PUT', body: bytes });
    assert.equal(asWhole.status, 403);
    const bare = await t.api('POST', '/v1/uploads', { key: t.key, json: { bare_form: true } });
    assert.equal((await fetch(bare.body.data.upload_url, { method: 'PUT', body: bytes })).status, 403);

    // With a declared size, the URL takes at most that many bytes (413 from the Content-Length), and the session stays open.
    const sized = await t.api('POST', '/v1/uploads', { key: t.key, json: { store_put: true, filename: 'p.png', content_type: 'image/png', file_size: bytes.length - 1 } });
    assert.equal(sized.body.data.max_size, bytes.length - 1);
    assert.equal((await putWhole(sized.body.data.upload_url, bytes)).status, 413);
    assert.equal((await t.api('GET', `/v1/uploads/${sized.body.data.upload_id}`, { key: t.key })).body.data.status, 'pending');
    for (const id of [parts.body.data.upload_id, bare.body.data.upload_id, sized.body.data.upload_id]) assert.equal((await t.api('DELETE', `/v1/uploads/${id}`, { key: t.key })).status, 200);
  });

  it('store_put without a size, refused for its size or the quota: the session fails with that error, complete answers it, nothing is kept', async () => {
    const tight = await t.tenant({ quota_bytes: 2 * MIB, limits: { image: MIB } });
    const make = async () => {
      const s = await t.api('POST', '/v1/uploads', { key: tight.key, json: { store_put: true, filename: 'p.png', content_type: 'image/png' } });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      return s.body.data as { upload_id: string; asset_id: string; upload_url: string };
    };
    const big = Buffer.concat([await png(8, 8), Buffer.alloc(3 * MIB)]);
    // Over the image limit, said by its Content-Length: refused before a byte is read.
    const byLength = await make();
    assert.equal((await putWhole(byLength.upload_url, big)).status, 413);
    // Over the image limit, chunked: refused at the first byte too many.
    const streamed = await make();
    const overLimit = await putChunked(streamed.upload_url, big);
    if ('status' in overLimit) assert.deepEqual([overLimit.status, overLimit.body.error.code], [413, 'file_too_large']);
    // Over the quota (a namespace whose limit would take it): refused as it streams.
    const roomy = await t.tenant({ quota_bytes: MIB });
    const s = await t.api('POST', '/v1/uploads', { key: roomy.key, json: { store_put: true, filename: 'p.png', content_type: 'image/png' } });
    const overQuota = await putChunked(s.body.data.upload_url, big);
    if ('status' in overQuota) assert.deepEqual([overQuota.status, overQuota.body.error.code], [403, 'quota_exceeded']);

    for (const [key, session, status, code] of [
      [tight.key, byLength, 413, 'file_too_large'],
      [tight.key, streamed, 413, 'file_too_large'],
      [roomy.key, s.body.data, 403, 'quota_exceeded'],
    ] as const) {
      const view = await t.api('GET', `/v1/uploads/${session.upload_id}`, { key });
      assert.deepEqual([view.body.data.status, view.body.data.error?.code], ['failed', code]);
      const complete = await t.api('POST', `/v1/uploads/${session.upload_id}/complete`, { key });
      assert.deepEqual([complete.status, complete.body.error?.code], [status, code]);
      assert.equal((await t.api('GET', `/v1/assets/${session.asset_id}`, { key })).status, 404, 'the pending asset is gone');
      assert.equal((await putWhole(session.upload_url, await png(8, 8))).status, 409, 'the URL takes nothing more');
    }
    for (const key of [tight.key, roomy.key]) {
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.deepEqual([usage.stored_bytes, usage.reserved_bytes], [0, 0]);
    }
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp files to go');
    for (const id of [byLength.upload_id, streamed.upload_id, s.body.data.upload_id]) {
      assert.ok(!(await t.storedFiles()).some((f) => f.includes(id)), 'no bytes of a refused upload are stored');
    }
  });
});

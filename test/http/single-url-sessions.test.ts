/**
 * Native sessions that learn their size from the bytes, and single-URL resumable sessions:
 * `POST /v1/uploads` without file_size (bare_form, single_url), parts PUT to one
 * `/store/resumable` URL with X-Upload-Index, finished by a keyless POST {parts}; quota
 * taken while the bytes stream; a kind's limit bounds a bare form as it streams; the
 * conditions hold; nothing is left behind on refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';

const MIB = 1024 * 1024;
const t = useIntake();

const form = (url: string, bytes: Buffer) => {
  const f = new FormData();
  f.append('file', new Blob([bytes]), 'x.bin');
  return fetch(url, { method: 'POST', body: f });
};
const put = (url: string, i: number, bytes: Buffer) => fetch(url, { method: 'PUT', headers: { 'X-Upload-Index': String(i) }, body: bytes });

describe('sessions without a declared size', () => {
  it('file_size is required unless bare_form or single_url; max_size only without it', async () => {
    const plain = await t.api('POST', '/v1/uploads', { key: t.key, json: { filename: 'a.png', content_type: 'image/png' } });
    assert.deepEqual([plain.status, plain.body.error?.details.field], [400, 'file_size']);
    const both = await t.api('POST', '/v1/uploads', { key: t.key, json: { bare_form: true, file_size: 10, max_size: 5, filename: 'a.png', content_type: 'image/png' } });
    assert.deepEqual([both.status, both.body.error?.details.field], [400, 'max_size']);
    const single = await t.api('POST', '/v1/uploads', { key: t.key, json: { single_url: true, resumable: false } });
    assert.deepEqual([single.status, single.body.error?.details.field], [400, 'resumable']);
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
});

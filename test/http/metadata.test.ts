/**
 * Metadata of assets and sessions: JSON objects whose values may be arrays and objects
 * (within a depth and a size), the same rules everywhere metadata comes in (a JSON
 * session, a form upload, tus, PATCH, an asset from several uploads) and everywhere it is
 * read (the asset, the session's upload_metadata); a bucket's schema types its scalar
 * properties; every refusal is a 400 naming the value's path, and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { refused } from './error-helpers.js';

const t = useIntake();

const NESTED = { tags: ['featured', 'sale'], dims: { w: 40, h: 30, unit: ['px', null] }, score: 4.5, ok: true, none: null };
/** Five levels, the metadata object being the first: the deepest allowed. */
const DEEPEST = { a: { b: { c: { d: { e: 'x' } } } }, l: [[[['x']]]] };

async function uploadImage(json: Record<string, unknown>, key = t.key): Promise<{ upload_id: string; asset_id: string }> {
  const bytes = await png(40, 30);
  const s = await t.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length, ...json } });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  assert.equal((await fetch(s.body.data.upload_url, { method: 'PUT', headers: s.body.data.upload_method.headers, body: bytes })).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return { upload_id: s.body.data.upload_id, asset_id: s.body.data.asset_id };
}

describe('metadata: arrays and objects', () => {
  it('round-trip through a session, its upload_metadata, PATCH and a form upload', async () => {
    const { upload_id, asset_id } = await uploadImage({ metadata: NESTED, upload_metadata: { batch: [1, 2, 3] } });
    assert.deepEqual((await t.api('GET', `/v1/assets/${asset_id}`, { key: t.key })).body.data.metadata, NESTED);
    assert.deepEqual((await t.api('GET', `/v1/uploads/${upload_id}`, { key: t.key })).body.data.upload_metadata, { batch: [1, 2, 3] });

    const patched = await t.api('PATCH', `/v1/assets/${asset_id}`, { key: t.key, json: { metadata: DEEPEST } });
    assert.deepEqual([patched.status, patched.body.data.metadata], [200, DEEPEST]);
    const listed = (await t.api('GET', '/v1/assets?limit=50', { key: t.key })).body.data.find((a: { id: string }) => a.id === asset_id);
    assert.deepEqual(listed.metadata, DEEPEST);

    const form = new FormData();
    form.append('metadata', JSON.stringify(NESTED));
    form.append('file', new Blob([await png(20, 20)], { type: 'image/png' }), 'f.png');
    const sent = await t.api('POST', '/v1/uploads', { key: t.key, body: form });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.deepEqual((await t.api('GET', `/v1/assets/${sent.body.data.asset_id}`, { key: t.key })).body.data.metadata, NESTED);
  });

  it('through tus (Upload-Metadata\'s metadata as JSON text) and an asset from several uploads', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const bytes = await png(21, 21);
    const created = await fetch(`${t.url}/tus/`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${t.key}`, 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filetype ${b64('image/png')},metadata ${b64(JSON.stringify(NESTED))}` },
    });
    assert.equal(created.status, 201, await created.clone().text());
    const id = created.headers.get('location')!.split('/').pop()!;
    const asset = (await t.api('GET', `/v1/uploads/${id}`, { key: t.key })).body.data.asset_id;
    assert.deepEqual((await t.api('GET', `/v1/assets/${asset}`, { key: t.key })).body.data.metadata, NESTED);
    assert.equal((await t.api('DELETE', `/v1/uploads/${id}`, { key: t.key })).status, 200);

    const part = await uploadImage({ create_asset: false });
    const made = await t.api('POST', '/v1/assets', { key: t.key, json: { uploads: [{ upload_id: part.upload_id }], metadata: NESTED } });
    assert.deepEqual([made.status, made.body.data.metadata], [201, NESTED]);
  });

  it('a bucket\'s schema: a list or object is none of its scalar types, nor a unique-key value; other fields take them', async () => {
    const bucket = await t.api('POST', '/v1/buckets', { key: t.key, json: { name: 'meta', schema: { properties: { image: { type: 'image' }, sku: { type: 'string' } } }, unique_key: ['code'] } });
    assert.equal(bucket.status, 201, JSON.stringify(bucket.body));
    const into = (metadata: unknown) => ({ filename: 'image.png', content_type: 'image/png', file_size: 100, bucket_id: bucket.body.data.id, metadata });
    for (const [metadata, field] of [
      [{ code: 'C1', sku: ['A1'] }, 'metadata.sku'],
      [{ code: 'C1', sku: { id: 'A1' } }, 'metadata.sku'],
      [{ code: ['C1'] }, 'metadata.code'],
      [{ code: { v: 'C1' } }, 'metadata.code'],
    ] as const) {
      const res = await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: into(metadata) }), 400, 'invalid_request', field);
      assert.equal(res.body.error!.details.reason, 'schema_mismatch');
    }
    const { asset_id } = await uploadImage({ bucket_id: bucket.body.data.id, bucket_property: 'image', metadata: { code: 'C1', sku: 'A1', tags: ['featured'] } });
    assert.deepEqual((await t.api('GET', `/v1/assets/${asset_id}`, { key: t.key })).body.data.metadata, { code: 'C1', sku: 'A1', tags: ['featured'] });
  });

  it('too deep, too large or bad inside: 400 naming the path (with details.reason past the depth or size), nothing kept', async () => {
    const valid = { filename: 'notes.txt', content_type: 'text/plain', file_size: 5 };
    const big = Array.from({ length: 33 }, () => 'x'.repeat(2000));
    const cases: Array<[string, unknown, string, string?]> = [
      ['an object six deep', { a: { b: { c: { d: { e: { f: 1 } } } } } }, 'metadata.a.b.c.d.e', 'metadata_too_deep'],
      ['an array six deep', { l: [[[[[1]]]]] }, 'metadata.l[0][0][0][0]', 'metadata_too_deep'],
      ['over 64 KiB as JSON', { tags: big }, 'metadata', 'metadata_too_large'],
      ['a 2001-character string in a list', { tags: ['ok', 'x'.repeat(2001)] }, 'metadata.tags[1]'],
      ['a nested object of 51 keys', { a: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'metadata.a'],
      ['an empty key inside', { a: { '': 1 } }, 'metadata.a.'],
    ];
    for (const [what, metadata, field, reason] of cases) {
      const res = await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: { ...valid, metadata } }), 400, 'invalid_request', field);
      assert.equal(res.body.error!.details.reason, reason, what);
      const tracked = await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: { ...valid, upload_metadata: metadata } }), 400, 'invalid_request');
      assert.match(String(tracked.body.error!.details.field), /^upload_metadata/, what);
    }
    // __proto__ anywhere is refused by the JSON parser before any rule runs.
    const proto = '{"filename":"notes.txt","content_type":"text/plain","file_size":5,"metadata":{"a":[{"__proto__":{"x":1}}]}}';
    await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, body: proto, headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');

    // PATCH and a form upload apply the same rules, and change nothing when they refuse.
    const { asset_id } = await uploadImage({ metadata: { kept: true } });
    const nearly = { tags: big.slice(0, 32) };
    assert.equal((await t.api('PATCH', `/v1/assets/${asset_id}`, { key: t.key, json: { metadata: nearly } })).status, 200, 'just under 64 KiB fits');
    assert.equal((await t.api('PATCH', `/v1/assets/${asset_id}`, { key: t.key, json: { metadata: { kept: true } } })).status, 200);
    const patch = await t.api('PATCH', `/v1/assets/${asset_id}`, { key: t.key, json: { metadata: { l: [[[[[1]]]]] } } });
    assert.deepEqual([patch.status, patch.body.error?.details.reason], [400, 'metadata_too_deep']);
    assert.deepEqual((await t.api('GET', `/v1/assets/${asset_id}`, { key: t.key })).body.data.metadata, { kept: true });
    const form = new FormData();
    form.append('metadata', JSON.stringify({ tags: big }));
    form.append('file', new Blob([await png(20, 20)], { type: 'image/png' }), 'f.png');
    const refusedForm = await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, body: form }), 400, 'invalid_request', 'metadata');
    assert.equal(refusedForm.body.error!.details.reason, 'metadata_too_large');
  });
});

/**
 * Tenancy: another namespace's ids are 404 (never 403) for every verb, and nothing of
 * the owner changes. PATCH /v1/assets refusals: 400 for bad edits, 409 for a taken alias.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { assertError, assertUnchanged, createSession, put, refused, snapshot } from './error-helpers.js';

let t: TestIntake;
let bytes: Buffer;
let owner: { key: string; namespaceId: string };
let stranger: { key: string; namespaceId: string };
/** A completed upload with a ready asset, and an open session with a pending asset, both the owner's. */
let done: { upload_id: string; asset_id: string; url: string };
let open: { upload_id: string; asset_id: string };

before(async () => {
  t = await startIntake();
  owner = await t.tenant();
  stranger = await t.tenant();
  bytes = await png(40, 30);
  const s = await createSession(t, owner.key, { filename: 'mine.png', content_type: 'image/png', file_size: bytes.length, file_hash: sha256(bytes), alias: 'mine', title: 'Mine', metadata: { a: 1 } });
  assert.equal((await put(s.upload_url, bytes, 'image/png')).status, 200);
  const completed = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: owner.key });
  assert.equal(completed.status, 200);
  done = { upload_id: s.upload_id, asset_id: s.asset_id, url: completed.body.data.asset.url };
  const p = await createSession(t, owner.key, { filename: 'open.png', content_type: 'image/png', file_size: bytes.length, alias: 'open-one' });
  assert.equal((await put(p.upload_url, bytes, 'image/png')).status, 200);
  open = { upload_id: p.upload_id, asset_id: p.asset_id };
});
after(() => t.close());

describe("another namespace's resources are 404, never 403", () => {
  it('uploads: GET, DELETE and complete', async () => {
    const before = await snapshot(t, owner.key);
    const own = await t.api('GET', `/v1/uploads/${open.upload_id}`, { key: owner.key });
    for (const id of [done.upload_id, open.upload_id]) {
      assertError(await t.api('GET', `/v1/uploads/${id}`, { key: stranger.key }), 404, 'not_found');
      assertError(await t.api('DELETE', `/v1/uploads/${id}`, { key: stranger.key }), 404, 'not_found');
      assertError(await t.api('POST', `/v1/uploads/${id}/complete`, { key: stranger.key, json: {} }), 404, 'not_found');
    }
    await assertUnchanged(t, owner.key, before, "the owner's data");
    assert.deepEqual((await t.api('GET', `/v1/uploads/${open.upload_id}`, { key: owner.key })).body.data, own.body.data);
  });

  it('assets: GET, PATCH and DELETE', async () => {
    const before = await snapshot(t, owner.key);
    const own = await t.api('GET', `/v1/assets/${done.asset_id}`, { key: owner.key });
    for (const id of [done.asset_id, open.asset_id]) {
      assertError(await t.api('GET', `/v1/assets/${id}`, { key: stranger.key }), 404, 'not_found');
      assertError(await t.api('PATCH', `/v1/assets/${id}`, { key: stranger.key, json: { title: 'pwned', alias: 'pwned' } }), 404, 'not_found');
      assertError(await t.api('DELETE', `/v1/assets/${id}`, { key: stranger.key }), 404, 'not_found');
    }
    await assertUnchanged(t, owner.key, before, "the owner's data");
    const after = await t.api('GET', `/v1/assets/${done.asset_id}`, { key: owner.key });
    assert.equal(after.body.data.title, 'Mine');
    assert.equal(after.body.data.alias, 'mine');
    assert.deepEqual(after.body.data.metadata, { a: 1 });
    assert.equal(after.body.data.updated_at, own.body.data.updated_at);
    assert.equal((await fetch(done.url)).status, 200, "the owner's bytes are still delivered");
  });

  it("the stranger's lists and usage show none of the owner's things", async () => {
    const s = await snapshot(t, stranger.key);
    assert.deepEqual([s.uploads, s.assets, s.usage], [[], [], { stored_bytes: 0, reserved_bytes: 0 }]);
    const filtered = await t.api('GET', '/v1/uploads?status=completed', { key: stranger.key });
    assert.deepEqual(filtered.body.data, []);
  });

  it("the owner's content hash is not a duplicate for the stranger", async () => {
    const res = await t.api('POST', '/v1/uploads', { key: stranger.key, json: { filename: 'x.png', content_type: 'image/png', file_size: bytes.length, file_hash: sha256(bytes) } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.data.is_duplicate, false);
    assert.notEqual(res.body.data.asset_id, done.asset_id);
    assert.ok(res.body.data.upload_url);
    assert.equal((await t.api('DELETE', `/v1/uploads/${res.body.data.upload_id}`, { key: stranger.key })).status, 200);
  });

  it("an alias is unique per namespace: the stranger may use the owner's, without touching it", async () => {
    const s = await createSession(t, stranger.key, { filename: 'x.txt', content_type: 'text/plain', file_size: 3, alias: 'mine' });
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key: stranger.key })).body.data.alias, 'mine');
    assert.equal((await t.api('GET', `/v1/assets/${done.asset_id}`, { key: owner.key })).body.data.alias, 'mine');
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: stranger.key })).status, 200);
  });

  it("a stranger's signed URL cannot be pointed at the owner's session", async () => {
    const s = await createSession(t, stranger.key, { filename: 'x.png', content_type: 'image/png', file_size: bytes.length });
    const forged = new URL(s.upload_url);
    forged.searchParams.set('upload', open.upload_id);
    const stored = await t.storedFiles();
    const before = await snapshot(t, owner.key);
    const res = await fetch(forged, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(bytes.length) });
    assert.equal(res.status, 403);
    assert.deepEqual(await t.storedFiles(), stored);
    await assertUnchanged(t, owner.key, before);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: stranger.key })).status, 200);
  });
});

describe('PATCH /v1/assets/{id}: refused edits change nothing', () => {
  const patch = (json: unknown, id = done.asset_id) => t.api('PATCH', `/v1/assets/${id}`, { key: owner.key, json });

  async function unchangedAfter(call: () => Promise<any>, status: number, code: string, field?: string) {
    const before = (await t.api('GET', `/v1/assets/${done.asset_id}`, { key: owner.key })).body.data;
    const res = await refused(t, owner.key, call, status, code, field);
    const after = (await t.api('GET', `/v1/assets/${done.asset_id}`, { key: owner.key })).body.data;
    for (const f of ['title', 'alias', 'folder', 'metadata', 'updated_at']) assert.deepEqual(after[f], before[f], f);
    return res;
  }

  it('an empty object is 400', async () => {
    await unchangedAfter(() => patch({}), 400, 'invalid_request');
  });

  it('no body at all is 400', async () => {
    await unchangedAfter(() => t.api('PATCH', `/v1/assets/${done.asset_id}`, { key: owner.key }), 400, 'invalid_request');
  });

  it('malformed JSON is 400', async () => {
    await unchangedAfter(() => t.api('PATCH', `/v1/assets/${done.asset_id}`, { key: owner.key, body: '{"title":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  });

  it('an unknown field is 400 naming it, and the valid fields beside it are not applied', async () => {
    await unchangedAfter(() => patch({ title: 'New', colour: 'red' }), 400, 'invalid_request', 'colour');
  });

  for (const [name, metadata] of [
    ['nested six deep', { a: { b: { c: { d: { e: { f: 1 } } } } } }],
    ['a list nested six deep', { a: [[[[[1]]]]] }],
    ['over 64 KiB as JSON', { a: Array.from({ length: 40 }, () => 'x'.repeat(2000)) }],
    ['an array', [1]],
    ['over 50 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))],
  ] as const) {
    it(`metadata ${name} is 400`, async () => {
      const res = await unchangedAfter(() => patch({ metadata }), 400, 'invalid_request');
      assert.match(String(res.body.error!.details.field), /^metadata/);
    });
  }

  for (const [field, value] of [
    ['alias', 'not valid!'],
    ['alias', ''],
    ['folder', '../up'],
    ['folder', ''],
    ['title', 'x'.repeat(201)],
    ['title', 42],
  ] as const) {
    it(`${field} ${JSON.stringify(value).slice(0, 16)} is 400 with details.field ${field}`, async () => {
      await unchangedAfter(() => patch({ [field]: value }), 400, 'invalid_request', field);
    });
  }

  it("an alias taken by another asset is 409 conflict; both assets keep theirs", async () => {
    const res = await unchangedAfter(() => patch({ alias: 'open-one', title: 'Renamed' }), 409, 'conflict', 'alias');
    assert.match(res.body.error!.message, /open-one/);
    assert.equal((await t.api('GET', `/v1/assets/${open.asset_id}`, { key: owner.key })).body.data.alias, 'open-one');
    await unchangedAfter(() => patch({ alias: 'mine' }, open.asset_id), 409, 'conflict', 'alias');
  });

  it('an unknown asset is 404', async () => {
    await unchangedAfter(() => patch({ title: 'x' }, 'med_doesnotexist0000000'), 404, 'not_found');
  });
});

/**
 * Admin routes: list, read and change namespaces, list a namespace's keys. Lowering a
 * quota below what is stored refuses new sessions and deletes nothing; every change is
 * in the log once, with the admin request's id.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assertError, createSession, put, refused, snapshot } from './error-helpers.js';

let t: TestIntake;
const lines: any[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  t = await startIntake({}, { logger: pino({ level: 'info' }, sink) });
});
after(() => t.close());

const audits = (action: string) => lines.filter((l) => l.audit?.action === action).map((l) => l.audit);

describe('namespaces (admin)', () => {
  it('GET /v1/namespaces lists with usage and pages with a cursor', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    const first = await t.api('GET', '/v1/namespaces?limit=1');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.data.length, 1);
    assert.equal(first.body.data[0].id, b.namespaceId, 'newest first');
    assert.equal(first.body.data[0].stored_bytes, 0);
    assert.equal(first.body.data[0].public_delivery, false);
    assert.ok(first.body.meta.next_cursor);
    const second = await t.api('GET', `/v1/namespaces?limit=1&cursor=${first.body.meta.next_cursor}`);
    assert.equal(second.body.data[0].id, a.namespaceId);
    assertError(await t.api('GET', '/v1/namespaces?cursor=nonsense'), 400, 'invalid_request', 'cursor');
    assertError(await t.api('GET', '/v1/namespaces?limit=500'), 400, 'invalid_request');
  });

  it('GET /v1/namespaces/{id} shows usage; unknown is 404; namespace keys are 403', async () => {
    const { namespaceId, key } = await t.tenant();
    const image = await png(10, 10);
    const s = await createSession(t, key, { filename: 'a.png', content_type: 'image/png', file_size: image.length });
    const res = await t.api('GET', `/v1/namespaces/${namespaceId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.reserved_bytes, image.length);
    assert.equal(res.body.data.quota_bytes, null);
    assert.ok(s.upload_id);
    assertError(await t.api('GET', '/v1/namespaces/ns_nope000000000000000'), 404, 'not_found');
    for (const [method, route] of [['GET', '/v1/namespaces'], ['GET', `/v1/namespaces/${namespaceId}`], ['GET', `/v1/keys?namespace_id=${namespaceId}`]] as const) {
      assertError(await t.api(method, route, { key }), 403, 'forbidden');
    }
    assertError(await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { key, json: { quota_bytes: 1 } }), 403, 'forbidden');
  });

  it('GET /v1/usage names the namespace and states what its key may upload: every limit applied, the accepted types', async () => {
    const { key } = await t.tenant({ limits: { image: 1234 } });
    const res = await t.api('GET', '/v1/usage', { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const u = res.body.data;
    assert.match(u.namespace_name, /^test/);
    assert.equal(u.max_file_bytes.image, 1234, 'the namespace limit is the tightest');
    assert.equal(u.max_file_bytes.video, Math.min(t.intake.deps.config.uploads.kindLimits.video ?? Infinity, t.intake.deps.config.uploads.maxUploadBytes));
    assert.ok(u.allowed_types.includes('image/png') && u.allowed_types.includes('video/mp4'), u.allowed_types.join(','));
  });

  it('PATCH changes name, limits and quota; bad bodies are 400 and change nothing', async () => {
    const { namespaceId } = await t.tenant();
    const res = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { name: 'renamed', limits: { image: 1000 }, quota_bytes: 5000 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.name, 'renamed');
    assert.deepEqual(res.body.data.limits, { image: 1000 });
    assert.equal(res.body.data.quota_bytes, 5000);
    const unchanged = (await t.api('GET', `/v1/namespaces/${namespaceId}`)).body.data;
    for (const body of [{}, { quota_bytes: 0 }, { quota_bytes: -5 }, { limits: { exe: 1 } }, { name: '' }, { name: '   ' }, { colour: 'red' }, { public_delivery: 'yes' }]) {
      assertError(await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: body }), 400, 'invalid_request');
    }
    assert.deepEqual((await t.api('GET', `/v1/namespaces/${namespaceId}`)).body.data, unchanged);
    assertError(await t.api('PATCH', '/v1/namespaces/ns_nope000000000000000', { json: { name: 'x' } }), 404, 'not_found');
    const cleared = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { quota_bytes: null } });
    assert.equal(cleared.body.data.quota_bytes, null);
  });

  it('namespace names are unique: a taken name is 409 conflict on POST and PATCH, and changes nothing', async () => {
    const first = await t.api('POST', '/v1/namespaces', { json: { name: 'unique-team' } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assertError(await t.api('POST', '/v1/namespaces', { json: { name: 'unique-team' } }), 409, 'conflict', 'name');
    assertError(await t.api('POST', '/v1/namespaces', { json: { name: '  unique-team ' } }), 409, 'conflict', 'name');
    const other = await t.api('POST', '/v1/namespaces', { json: { name: 'unique-other' } });
    assertError(await t.api('PATCH', `/v1/namespaces/${other.body.data.id}`, { json: { name: 'unique-team', quota_bytes: 7 } }), 409, 'conflict', 'name');
    const unchanged = (await t.api('GET', `/v1/namespaces/${other.body.data.id}`)).body.data;
    assert.equal(unchanged.name, 'unique-other');
    assert.equal(unchanged.quota_bytes, null);
    // Its own name again is no conflict.
    assert.equal((await t.api('PATCH', `/v1/namespaces/${first.body.data.id}`, { json: { name: 'unique-team' } })).status, 200);
  });

  it('a quota lowered below what is stored refuses new sessions and deletes nothing', async () => {
    const { namespaceId, key } = await t.tenant();
    const image = await png(40, 40);
    const s = await createSession(t, key, { filename: 'a.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} })).status, 200);
    const lowered = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { quota_bytes: 10 } });
    assert.equal(lowered.status, 200);
    assert.equal(lowered.body.data.stored_bytes, image.length, 'nothing deleted');
    const before = await snapshot(t, key);
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: { filename: 'b.png', content_type: 'image/png', file_size: 5 } }), 403, 'quota_exceeded');
    const form = new FormData();
    form.append('file', new Blob([image], { type: 'image/png' }), 'c.png');
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, body: form }), 403, 'quota_exceeded');
    const asset = await t.api('GET', `/v1/assets/${s.asset_id}`, { key });
    assert.equal(asset.status, 200);
    assert.equal((await fetch(asset.body.data.url)).status, 200, 'stored bytes still served');
    assert.deepEqual(await snapshot(t, key), before);
  });

  it('every change is audited with the admin request id', async () => {
    const created = await t.api('POST', '/v1/namespaces', { json: { name: 'audited' } });
    const id = created.body.data.id;
    const patched = await t.api('PATCH', `/v1/namespaces/${id}`, { json: { quota_bytes: 1234 } });
    const key = await t.api('POST', '/v1/keys', { json: { namespace_id: id } });
    const revoked = await t.api('DELETE', `/v1/keys/${key.body.data.id}`);
    const check = (action: string, requestId: string) => {
      const entries = audits(action).filter((a) => a.request_id === requestId);
      assert.equal(entries.length, 1, `${action} audited once with ${requestId}`);
      return entries[0];
    };
    assert.equal(check('namespace.create', created.body.meta.request_id).namespace_id, id);
    const change = check('namespace.update', patched.body.meta.request_id);
    assert.equal(change.namespace_id, id);
    assert.equal(change.before.quota_bytes, null);
    assert.equal(change.after.quota_bytes, 1234);
    assert.equal(check('key.create', key.body.meta.request_id).api_key_id, key.body.data.id);
    assert.equal(check('key.revoke', revoked.body.meta.request_id).api_key_id, key.body.data.id);
    assert.ok(!JSON.stringify(lines).includes(key.body.data.secret), 'the secret is never logged');
    // A refused change is not audited as done.
    const refusedPatch = await t.api('PATCH', `/v1/namespaces/${id}`, { json: { quota_bytes: -1 } });
    assert.equal(audits('namespace.update').filter((a) => a.request_id === refusedPatch.body.meta.request_id).length, 0);
  });
});

describe('keys (admin)', () => {
  it('GET /v1/keys?namespace_id= lists keys with only the last 4 characters of the secret', async () => {
    const { namespaceId, key, keyId } = await t.tenant();
    const res = await t.api('GET', `/v1/keys?namespace_id=${namespaceId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.length, 1);
    const listed = res.body.data[0];
    assert.equal(listed.id, keyId);
    assert.equal(listed.last4, key.slice(-4));
    assert.equal(listed.revoked_at, null);
    assert.ok(!JSON.stringify(res.body).includes(key), 'never the secret');
    assert.ok(!('key_hash' in listed) && !('secret' in listed));
    assertError(await t.api('GET', '/v1/keys'), 400, 'invalid_request');
    assertError(await t.api('GET', '/v1/keys?namespace_id=ns_nope000000000000000'), 404, 'not_found');
  });
});

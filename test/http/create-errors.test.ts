/**
 * POST /v1/uploads (JSON): every bad input is the contract's 4xx with its stable code,
 * never a 500, and nothing is reserved, recorded or stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, useIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { assertError, createSession, put, refused, snapshot } from './error-helpers.js';

const t = useIntake();

const valid = { filename: 'notes.txt', content_type: 'text/plain', file_size: 5 };
const create = (json: unknown, k = t.key) => t.api('POST', '/v1/uploads', { key: k, json });
const createRaw = (body: string | undefined, headers: Record<string, string>) => t.api('POST', '/v1/uploads', { key: t.key, body, headers });

describe('POST /v1/uploads: malformed bodies', () => {
  for (const [name, body] of [
    ['truncated', '{"filename": "a.txt", '],
    ['not JSON at all', 'filename=a.txt'],
    ['trailing garbage', '{"filename":"a.txt","content_type":"text/plain","file_size":5} x'],
    ['single quotes', "{'filename':'a.txt'}"],
  ] as const) {
    it(`malformed JSON (${name}) is 400 invalid_request`, async () => {
      await refused(t, t.key, () => createRaw(body, { 'content-type': 'application/json' }), 400, 'invalid_request');
    });
  }

  it('a JSON array, null or empty body is 400 invalid_request', async () => {
    for (const body of ['[]', 'null', '', '"text"', '42']) {
      await refused(t, t.key, () => createRaw(body, { 'content-type': 'application/json' }), 400, 'invalid_request');
    }
  });

  it('a __proto__ key (prototype pollution) is 400 invalid_request', async () => {
    const body = '{"filename":"a.txt","content_type":"text/plain","file_size":5,"metadata":{"__proto__":{"admin":true}}}';
    await refused(t, t.key, () => createRaw(body, { 'content-type': 'application/json' }), 400, 'invalid_request');
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });

  it('no body and no Content-Type is 400, not a 500', async () => {
    await refused(t, t.key, () => createRaw(undefined, {}), 400, 'invalid_request');
  });

  it('a text/plain body is 415 unsupported_media_type (the API reads JSON and multipart only)', async () => {
    await refused(t, t.key, () => createRaw('filename=a.txt', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('a url-encoded form is 415 unsupported_media_type', async () => {
    await refused(t, t.key, () => createRaw('filename=a.txt', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  });
});

describe('POST /v1/uploads: fields', () => {
  for (const field of ['filename', 'content_type', 'file_size'] as const) {
    it(`missing ${field} is 400 with details.field`, async () => {
      const json: Record<string, unknown> = { ...valid };
      delete json[field];
      await refused(t, t.key, () => create(json), 400, 'invalid_request', field);
    });
  }

  it('an unknown field is 400 naming it', async () => {
    const res = await refused(t, t.key, () => create({ ...valid, colour: 'red' }), 400, 'invalid_request', 'colour');
    assert.match(res.body.error!.message, /colour/);
  });

  for (const [name, file_size] of [['zero', 0], ['negative', -1], ['fractional', 1.5], ['a string', '5'], ['null', null]] as const) {
    it(`file_size ${name} is 400`, async () => {
      await refused(t, t.key, () => create({ ...valid, file_size }), 400, 'invalid_request', 'file_size');
    });
  }

  for (const [name, filename] of [
    ['with a slash', 'a/b'],
    ['with a backslash', 'a\\b'],
    ['..', '..'],
    ['.', '.'],
    ['with a control character', 'a\u0001b.txt'],
    ['with NUL', 'a\u0000b.txt'],
    ['with a newline', 'a\nb.txt'],
    ['with DEL', 'a\u007fb.txt'],
    ['of 256 characters', 'x'.repeat(252) + '.txt'],
    ['empty', ''],
  ] as const) {
    it(`filename ${name} is 400 with details.field filename`, async () => {
      await refused(t, t.key, () => create({ ...valid, filename }), 400, 'invalid_request', 'filename');
    });
  }

  it('a filename of 255 characters is accepted (the limit is inclusive)', async () => {
    const s = await createSession(t, t.key, { ...valid, filename: 'x'.repeat(251) + '.txt' });
    assert.equal(s.filename.length, 255);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key })).status, 200);
  });

  it('a filename with a C1 control character (U+0085) is 400', async () => {
    await refused(t, t.key, () => create({ ...valid, filename: 'a\u0085b.txt' }), 400, 'invalid_request', 'filename');
  });

  for (const expires_in of [59, 86401, 0, 600.5, '3600']) {
    it(`expires_in ${JSON.stringify(expires_in)} is 400`, async () => {
      await refused(t, t.key, () => create({ ...valid, expires_in }), 400, 'invalid_request', 'expires_in');
    });
  }

  it('expires_in 60 and 86400 are accepted (the range is inclusive)', async () => {
    for (const expires_in of [60, 86400]) {
      const s = await createSession(t, t.key, { ...valid, expires_in });
      assert.equal(s.expires_in, expires_in);
      assert.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), expires_in * 1000);
      assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key })).status, 200);
    }
  });

  for (const content_type of ['application/x-msdownload', 'text/html', 'application/javascript', 'image/x-made-up', ';']) {
    it(`content_type ${content_type} is 415 unsupported_media_type with details.field content_type`, async () => {
      await refused(t, t.key, () => create({ ...valid, content_type }), 415, 'unsupported_media_type', 'content_type');
    });
  }

  it('a kind that does not match content_type is 400 with details.field kind', async () => {
    await refused(t, t.key, () => create({ filename: 'p.png', content_type: 'image/png', file_size: 10, kind: 'video' }), 400, 'invalid_request', 'kind');
    await refused(t, t.key, () => create({ ...valid, kind: 'spreadsheet' }), 400, 'invalid_request', 'kind');
  });

  for (const [name, metadata] of [
    ['an object nested six deep', { a: { b: { c: { d: { e: { f: 1 } } } } } }],
    ['a list nested six deep', { tags: [[[[['x']]]]] }],
    ['over 64 KiB as JSON', { notes: Array.from({ length: 40 }, () => 'x'.repeat(2000)) }],
    ['an array', ['x']],
    ['a string', 'x=1'],
    ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))],
    ['a 2001-character value', { note: 'x'.repeat(2001) }],
  ] as const) {
    it(`metadata that is ${name} is 400`, async () => {
      const res = await refused(t, t.key, () => create({ ...valid, metadata }), 400, 'invalid_request');
      assert.match(String(res.body.error!.details.field), /^metadata/);
    });
  }

  it('metadata with exactly 50 keys is accepted, lists and objects among them', async () => {
    const s = await createSession(t, t.key, { ...valid, metadata: { ...Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, i % 2 ? 'v' : null])), tags: ['x', 'y'], a: { b: 1 } } });
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key })).status, 200);
  });

  for (const file_hash of ['abc', 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), ' ' + 'a'.repeat(63), 'sha256:' + 'a'.repeat(64)]) {
    it(`file_hash ${JSON.stringify(file_hash.slice(0, 12))}… (${file_hash.length} chars) is 400`, async () => {
      await refused(t, t.key, () => create({ ...valid, file_hash }), 400, 'invalid_request', 'file_hash');
    });
  }

  for (const [field, value] of [
    ['title', 'x'.repeat(201)],
    ['alias', 'has space'],
    ['alias', 'dot.ted'],
    ['alias', 'trailing/'],
    ['alias', '/leading'],
    ['alias', 'empty//segment'],
    ['folder', '../escape'],
    ['folder', 'root//double'],
    ['skip_duplicates', 'yes'],
    ['method', 'PATCH'],
    ['width', -1],
  ] as const) {
    it(`${field} ${JSON.stringify(value).slice(0, 20)} is 400 with details.field ${field}`, async () => {
      await refused(t, t.key, () => create({ ...valid, [field]: value }), 400, 'invalid_request', field);
    });
  }

  for (const [name, conditions] of [
    ['an unknown key', { operator: '&&', rules: [{ key: 'colour', operator: '==', value: 'red' }] }],
    ['an unknown operator', { operator: '&&', rules: [{ key: 'width', operator: '=~', value: 1 }] }],
    ['no rules', { operator: '&&', rules: [] }],
    ['a bad combinator', { operator: 'and', rules: [{ key: 'width', operator: '>', value: 1 }] }],
  ] as const) {
    it(`conditions with ${name} is 400`, async () => {
      const res = await refused(t, t.key, () => create({ ...valid, conditions }), 400, 'invalid_request');
      assert.match(String(res.body.error!.details.field), /^conditions/);
    });
  }
});

describe('POST /v1/uploads: alias, limits and quota', () => {
  it('a taken alias is 409 conflict; the first holder keeps it and can still finish', async () => {
    const bytes = await png(16, 16);
    const first = await createSession(t, t.key, { filename: 'hero.png', content_type: 'image/png', file_size: bytes.length, alias: 'hero' });
    const res = await refused(t, t.key, () => create({ filename: 'other.png', content_type: 'image/png', file_size: bytes.length, alias: 'hero' }), 409, 'conflict', 'alias');
    assert.match(res.body.error!.message, /hero/);
    const holder = await t.api('GET', `/v1/assets/${first.asset_id}`, { key: t.key });
    assert.equal(holder.body.data.alias, 'hero');
    assert.equal((await put(first.upload_url, bytes, 'image/png')).status, 200);
    const done = await t.api('POST', `/v1/uploads/${first.upload_id}/complete`, { key: t.key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.asset.alias, 'hero');
    await refused(t, t.key, () => create({ ...valid, alias: 'hero' }), 409, 'conflict', 'alias');
  });

  it('a namespace per-kind limit is 413 file_too_large for that kind only', async () => {
    const tenant = await t.tenant({ limits: { image: 100 } });
    const res = await refused(t, tenant.key, () => create({ filename: 'p.png', content_type: 'image/png', file_size: 101 }, tenant.key), 413, 'file_too_large', 'file_size');
    assert.equal(res.body.error!.details.max_size, 100);
    const atLimit = await createSession(t, tenant.key, { filename: 'p.png', content_type: 'image/png', file_size: 100 });
    assert.equal(atLimit.max_size, 100);
    await createSession(t, tenant.key, { ...valid, file_size: 101 });
  });

  it('a file_size over the quota is 403 quota_exceeded', async () => {
    const tenant = await t.tenant({ quota_bytes: 1000 });
    await refused(t, tenant.key, () => create({ ...valid, file_size: 1001 }, tenant.key), 403, 'quota_exceeded');
  });

  it('open sessions reserve quota: the second of two that together exceed it is refused until the first is canceled', async () => {
    const tenant = await t.tenant({ quota_bytes: 1000 });
    const first = await createSession(t, tenant.key, { ...valid, file_size: 600 });
    assert.equal((await snapshot(t, tenant.key)).usage.reserved_bytes, 600);
    await refused(t, tenant.key, () => create({ ...valid, file_size: 600 }, tenant.key), 403, 'quota_exceeded');
    assert.equal((await t.api('DELETE', `/v1/uploads/${first.upload_id}`, { key: tenant.key })).status, 200);
    assert.equal((await snapshot(t, tenant.key)).usage.reserved_bytes, 0);
    await createSession(t, tenant.key, { ...valid, file_size: 600 });
    assert.equal((await snapshot(t, tenant.key)).usage.reserved_bytes, 600);
  });

  it('racing sessions never reserve more than the quota', async () => {
    const tenant = await t.tenant({ quota_bytes: 1000 });
    const results = await Promise.all(Array.from({ length: 6 }, () => create({ ...valid, file_size: 300 }, tenant.key)));
    const created = results.filter((r) => r.status === 201);
    for (const r of results.filter((r) => r.status !== 201)) assertError(r, 403, 'quota_exceeded');
    assert.equal(created.length, 3);
    assert.equal((await snapshot(t, tenant.key)).usage.reserved_bytes, 900);
  });
});

describe('MAX_UPLOAD_SIZE_MB', () => {
  let small: TestIntake;
  let smallKey: string;
  before(async () => {
    small = await startIntake({ MAX_UPLOAD_SIZE_MB: '1' });
    ({ key: smallKey } = await small.tenant());
  });
  after(() => small.close());

  it('a declared file_size over the global limit is 413 file_too_large; exactly the limit is accepted', async () => {
    const res = await refused(small, smallKey, () => small.api('POST', '/v1/uploads', { key: smallKey, json: { ...valid, file_size: 1024 * 1024 + 1 } }), 413, 'file_too_large', 'file_size');
    assert.equal(res.body.error!.details.max_size, 1024 * 1024);
    const ok = await createSession(small, smallKey, { ...valid, file_size: 1024 * 1024 });
    assert.equal(ok.max_size, 1024 * 1024);
  });
});

describe('duplicates (file_hash of stored content) do not bypass the checks', () => {
  let k: string;
  let stored: Buffer;
  before(async () => {
    ({ key: k } = await t.tenant());
    stored = await png(24, 24);
    const s = await createSession(t, k, { filename: 'o.png', content_type: 'image/png', file_size: stored.length, file_hash: sha256(stored) });
    assert.equal((await put(s.upload_url, stored, 'image/png')).status, 200);
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k })).status, 200);
    await createSession(t, k, { ...valid, alias: 'dup-taken' });
  });

  const dup = (json: Record<string, unknown>) => create({ filename: 'd.png', content_type: 'image/png', file_size: stored.length, file_hash: sha256(stored), ...json }, k);

  it('a taken alias is still 409', async () => {
    await refused(t, k, () => dup({ alias: 'dup-taken' }), 409, 'conflict', 'alias');
  });

  for (const [name, json] of [
    ['declared as video/mp4', { filename: 'd.mp4', content_type: 'video/mp4' }],
    ['declared with another file_size', { file_size: 7 }],
  ] as const) {
    it(`stored PNG bytes ${name} are not answered as a duplicate`, async () => {
      const res = await dup(json);
      assert.ok(!(res.status === 200 && res.body.data?.is_duplicate), `answered as a duplicate: ${JSON.stringify(res.body.data)}`);
    });
  }
});

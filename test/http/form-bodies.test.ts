/**
 * Multipart bodies: a cut-off body is the client's 400, never a 500;
 * a form upload that cannot fit (taken alias, full quota, oversize Content-Length) is
 * refused from its headers, before the server waits for or stores a byte of the file;
 * and a form upload answered 202 is completed by the sweeper, never expired.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { formUpload } from '../../src/uploads/form-upload.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { withoutJobs } from '../helpers/jobs.js';
import { png, sha256 } from '../helpers/media.js';
import { assertError, assertUnchanged, createSession, snapshot } from './error-helpers.js';
import { multipart, rawRequest, type Part } from './raw-http.js';

let t: TestIntake;
let key: string;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  image = await png(64, 48);
});
after(() => t.close());

const filePart = (data: Buffer, filename = 'p.png', type = 'image/png'): Part => ({ name: 'file', filename, type, data });

/** POST /v1/uploads with a hand-made multipart body. */
function sendForm(k: string, parts: Part[], opts: { closed?: boolean; contentLength?: number } = {}) {
  const { body, contentType } = multipart(parts, { closed: opts.closed });
  return rawRequest(`${t.url}/v1/uploads`, {
    headers: { authorization: `Bearer ${k}`, 'content-type': contentType },
    body,
    contentLength: opts.contentLength,
  });
}

describe('a multipart body cut off before its closing boundary', () => {
  it('POST /v1/uploads: cut in the middle of the file is 400 incomplete_body, nothing kept', async () => {
    const before = await snapshot(t, key);
    const res = assertError(await sendForm(key, [{ name: 'title', value: 'cut' }, filePart(image.subarray(0, 40))], { closed: false }), 400, 'invalid_request');
    assert.equal(res.body.error!.details.reason, 'incomplete_body');
    await assertUnchanged(t, key, before, 'after a cut-off form upload');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('POST /v1/uploads: cut inside the file part\'s headers is 400 incomplete_body', async () => {
    const before = await snapshot(t, key);
    const { body, contentType } = multipart([{ name: 'title', value: 'no file' }, filePart(image)]);
    const cut = body.subarray(0, body.indexOf('filename='));
    const res = assertError(
      await rawRequest(`${t.url}/v1/uploads`, { headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: cut }),
      400,
      'invalid_request',
    );
    await assertUnchanged(t, key, before, 'after a form cut inside the file part headers');
    assert.equal(res.body.error!.details.reason, 'incomplete_body', JSON.stringify(res.body));
  });

  it('POST /v1/uploads: cut in a field after the file is 400 incomplete_body, nothing kept', async () => {
    const tenant = await t.tenant();
    const before = await snapshot(t, tenant.key);
    const { body, contentType } = multipart([filePart(image), { name: 'title', value: 'A title that never fully arrives' }]);
    const cut = body.subarray(0, body.indexOf('A title') + 7);
    const res = await rawRequest(`${t.url}/v1/uploads`, { headers: { authorization: `Bearer ${tenant.key}`, 'content-type': contentType }, body: cut });
    assertError(res, 400, 'invalid_request');
    assert.equal(res.body.error!.details.reason, 'incomplete_body', JSON.stringify(res.body));
    await assertUnchanged(t, tenant.key, before, 'after a form cut in its trailing field');
  });

  it('a signed POST upload URL: cut in the middle of the file is 400 incomplete_body; the session still takes the whole file', async () => {
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length, method: 'POST' });
    const signed: Part[] = Object.entries(s.upload_method.fields as Record<string, string>).map(([name, value]) => ({ name, value }));
    const before = await snapshot(t, key);
    const { body, contentType } = multipart([...signed, filePart(image.subarray(0, 100))], { closed: false });
    const res = assertError(await rawRequest(s.upload_url, { headers: { 'content-type': contentType }, body }), 400, 'invalid_request');
    assert.equal(res.body.error!.details.reason, 'incomplete_body');
    await assertUnchanged(t, key, before, 'after a cut-off signed POST');
    assert.deepEqual(await t.tempFiles(), []);

    const whole = multipart([...signed, filePart(image)]);
    const ok = await rawRequest(s.upload_url, { headers: { 'content-type': whole.contentType }, body: whole.body });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.asset.sha256, sha256(image));
  });
});

describe('form uploads refused before a byte of the file is stored', () => {
  // Each request announces megabytes but sends only the fields, the file's part header
  // and a few bytes: an answer proves the server decided without waiting for the rest.
  const head = () => image.subarray(0, 50);
  const FIVE_MB = 5 * 1024 * 1024;

  it('a namespace whose quota cannot take the announced body is 403 quota_exceeded', async () => {
    const tenant = await t.tenant({ quota_bytes: 1000 });
    const before = await snapshot(t, tenant.key);
    const res = assertError(await sendForm(tenant.key, [filePart(head())], { closed: false, contentLength: FIVE_MB }), 403, 'quota_exceeded');
    assert.ok(res.body.error!.details, JSON.stringify(res.body));
    await assertUnchanged(t, tenant.key, before, 'after a refused over-quota form upload');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('a namespace already at its quota is 403 even for a small form', async () => {
    const tenant = await t.tenant({ quota_bytes: 1000 });
    await createSession(t, tenant.key, { filename: 'fill.txt', content_type: 'text/plain', file_size: 1000 });
    const before = await snapshot(t, tenant.key);
    assert.equal(before.usage.reserved_bytes, 1000);
    assertError(await sendForm(tenant.key, [filePart(head())], { closed: false, contentLength: 4096 }), 403, 'quota_exceeded');
    await assertUnchanged(t, tenant.key, before, 'after a refused form upload at quota');
  });

  it('a taken alias sent before the file is 409 conflict naming alias', async () => {
    const tenant = await t.tenant();
    await createSession(t, tenant.key, { filename: 'h.txt', content_type: 'text/plain', file_size: 3, alias: 'early-taken' });
    const before = await snapshot(t, tenant.key);
    assertError(await sendForm(tenant.key, [{ name: 'alias', value: 'early-taken' }, filePart(head())], { closed: false, contentLength: FIVE_MB }), 409, 'conflict', 'alias');
    await assertUnchanged(t, tenant.key, before, 'after a refused form upload with a taken alias');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('a Content-Length far above the per-kind limit is 413 file_too_large', async () => {
    const tenant = await t.tenant({ limits: { image: 1000 } });
    const before = await snapshot(t, tenant.key);
    const res = assertError(await sendForm(tenant.key, [filePart(head())], { closed: false, contentLength: 10 * 1024 * 1024 }), 413, 'file_too_large');
    assert.equal(res.body.error!.details.max_size, 1000);
    await assertUnchanged(t, tenant.key, before, 'after a refused oversize form upload');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('a form that fits the quota, the limit and a free alias is still accepted (202)', async () => {
    const tenant = await t.tenant({ quota_bytes: 10 * 1024 * 1024, limits: { image: 100_000 } });
    const res = await sendForm(tenant.key, [{ name: 'alias', value: 'early-free' }, filePart(image)]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await eventually(async () => (await t.api('GET', `/v1/uploads/${res.body.data.id}`, { key: tenant.key })).body.data.status === 'completed', 10_000, 'the form upload to complete');
    assert.equal((await t.api('GET', `/v1/assets/${res.body.data.asset_id}`, { key: tenant.key })).body.data.alias, 'early-free');
  });
});

describe('an accepted form upload is never lost', () => {
  it('past its expires_at, the sweeper completes it instead of expiring it', async () => {
    const tenant = await t.tenant();
    const bytes = await png(9, 5);
    // The rows and bytes as a 202 leaves them, with no background completion run
    // (as if it failed for a passing reason).
    const upload = await formUpload(withoutJobs(t.intake.deps), { namespaceId: tenant.namespaceId }, (async function* () {
      yield { type: 'file' as const, name: 'file', filename: 'kept.png', mimetype: 'image/png', stream: Readable.from([bytes]) };
    })());
    assert.equal(upload.status, 'pending');
    assert.ok((await t.storedFiles()).some((f) => f.includes(upload.id)), 'the accepted bytes are stored');

    t.clock.advance(7200);
    try {
      assert.ok(Date.parse(upload.expires_at) < t.clock.now().getTime(), 'the session is past its expires_at');
      const read = await t.api('GET', `/v1/uploads/${upload.id}`, { key: tenant.key });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.notEqual(read.body.data.status, 'expired', 'reading an overdue form upload does not expire it');

      const swept = await t.intake.sweep();
      assert.ok(swept.resumed >= 1, JSON.stringify(swept));
      await eventually(async () => (await t.api('GET', `/v1/uploads/${upload.id}`, { key: tenant.key })).body.data.status === 'completed', 10_000, 'the queued verification');
      const asset = await t.api('GET', `/v1/assets/${upload.asset_id}`, { key: tenant.key });
      assert.equal(asset.body.data.status, 'ready');
      assert.deepEqual([asset.body.data.width, asset.body.data.height], [9, 5]);
      const got = await fetch(asset.body.data.url);
      assert.equal(got.status, 200);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(bytes));
      assert.ok((await t.storedFiles()).some((f) => f.includes(upload.id)), 'the bytes are still stored');
    } finally {
      t.clock.advance(-7200);
    }
  });

  it('an ordinary overdue session next to it is still expired by the same sweep', async () => {
    const tenant = await t.tenant();
    const s = await createSession(t, tenant.key, { filename: 'e.png', content_type: 'image/png', file_size: image.length, expires_in: 60 });
    t.clock.advance(120);
    try {
      await t.intake.sweep();
      assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: tenant.key })).body.data.status, 'expired');
    } finally {
      t.clock.advance(-120);
    }
  });
});

/**
 * POST /v1/uploads/{id}/complete when the bytes are not what was declared, and
 * DELETE /v1/uploads/{id}: each failure is its stable 4xx, the upload reads `failed`
 * with that code, its bytes and pending asset are gone, its alias and reservation are
 * free again, and complete answers the same every time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { assetWhen, noisyVideo, uploadMedia } from '../helpers/processing.js';
import { assertError, createSession, put, snapshot } from './error-helpers.js';

let t: TestIntake;
let key: string;
let pixelCapped: TestIntake;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  pixelCapped = await startIntake({ INTAKE_MAX_IMAGE_PIXELS: '1000' });
  image = await png(64, 48);
});
after(async () => {
  await t.close();
  await pixelCapped.close();
});

interface FailureCase {
  name: string;
  status: number;
  code: string;
  reason?: string;
  contentType?: string;
  /** The bytes PUT to the signed URL (none: nothing is sent); file_size defaults to their length. */
  body: () => Buffer | null;
  session?: () => Record<string, unknown>;
  complete?: Record<string, unknown>;
  check?: (details: Record<string, any>) => void;
  on?: () => TestIntake;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const cases: FailureCase[] = [
  {
    name: 'fewer bytes than declared',
    status: 422,
    code: 'verification_failed',
    reason: 'size_mismatch',
    body: () => image.subarray(0, 100),
    session: () => ({ file_size: image.length }),
    check: (d) => assert.deepEqual([d.expected, d.actual], [image.length, 100]),
  },
  {
    name: 'a file_hash that is not the SHA-256 of the bytes',
    status: 422,
    code: 'verification_failed',
    reason: 'checksum_mismatch',
    body: () => image,
    session: () => ({ file_hash: sha256(Buffer.from('something else')) }),
    check: (d) => assert.equal(d.actual, sha256(image)),
  },
  { name: 'an ETag that is not the stored object', status: 422, code: 'verification_failed', reason: 'etag_mismatch', body: () => image, complete: { etag: '"not-the-etag"' } },
  { name: 'text bytes declared image/png', status: 415, code: 'unsupported_media_type', body: () => Buffer.from('hello, this is not an image at all\n'.repeat(8)) },
  { name: 'random bytes declared image/png', status: 415, code: 'unsupported_media_type', body: () => randomBytes(2048) },
  { name: 'a PNG signature followed by garbage', status: 415, code: 'unsupported_media_type', body: () => Buffer.concat([PNG_SIGNATURE, randomBytes(512)]) },
  { name: 'a PNG declared video/mp4', status: 415, code: 'unsupported_media_type', reason: 'kind_mismatch', contentType: 'video/mp4', body: () => image },
  { name: 'a PNG declared text/plain', status: 415, code: 'unsupported_media_type', reason: 'kind_mismatch', contentType: 'text/plain', body: () => image },
  { name: 'random bytes declared application/pdf', status: 415, code: 'unsupported_media_type', contentType: 'application/pdf', body: () => randomBytes(1024) },
  {
    name: 'a 64x48 PNG under conditions width > 1000',
    status: 422,
    code: 'conditions_not_met',
    body: () => image,
    session: () => ({ conditions: { operator: '&&', rules: [{ key: 'width', operator: '>', value: 1000 }, { key: 'height', operator: '==', value: 48 }] } }),
    check: (d) => assert.deepEqual(d.failed_rules, [{ key: 'width', operator: '>', value: 1000 }]),
  },
  {
    name: 'a PNG under || conditions that all fail',
    status: 422,
    code: 'conditions_not_met',
    body: () => image,
    session: () => ({ conditions: { operator: '||', rules: [{ key: 'kind', operator: '==', value: 'video' }, { key: 'filesize', operator: '<', value: 10 }] } }),
    check: (d) => assert.equal(d.failed_rules.length, 2),
  },
  {
    name: 'an image over INTAKE_MAX_IMAGE_PIXELS',
    status: 413,
    code: 'file_too_large',
    reason: 'too_many_pixels',
    body: () => image,
    on: () => pixelCapped,
    check: (d) => assert.equal(d.max_pixels, 1000),
  },
];

describe('complete: bytes that are not what was declared', () => {
  cases.forEach((c, i) => {
    it(`${c.name} → ${c.status} ${c.code}${c.reason ? ` (${c.reason})` : ''}; failed, cleaned up, and the same again`, async () => {
      const on = c.on?.() ?? t;
      const { key: k } = await on.tenant({ quota_bytes: 10 * 1024 * 1024 });
      const before = await snapshot(on, k);
      const body = c.body();
      const contentType = c.contentType ?? 'image/png';
      const alias = `failing-${i}`;
      const s = await createSession(on, k, { filename: 'f.bin', content_type: contentType, file_size: body?.length ?? 1, alias, ...c.session?.() });
      if (body) assert.equal((await put(s.upload_url, body, contentType)).status, 200);
      assert.equal((await snapshot(on, k)).usage.reserved_bytes, s.file_size);

      const complete = () => on.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: c.complete ?? {} });
      const res = assertError(await complete(), c.status, c.code);
      const details = res.body.error!.details;
      if (c.reason) assert.equal(details.reason, c.reason);
      c.check?.(details);

      const upload = await on.api('GET', `/v1/uploads/${s.upload_id}`, { key: k });
      assert.equal(upload.body.data.status, 'failed');
      assert.equal(upload.body.data.status_code, 7);
      assert.equal(upload.body.data.error?.code, c.code);
      assert.deepEqual(await on.storedFiles(), before.stored, 'the bytes of the failed upload are deleted');
      assert.deepEqual(await on.tempFiles(), []);
      assertError(await on.api('GET', `/v1/assets/${s.asset_id}`, { key: k }), 404, 'not_found');
      const now = await snapshot(on, k);
      assert.deepEqual(now.usage, before.usage, 'the reservation is released and nothing is counted as stored');
      assert.deepEqual(now.assets, before.assets);

      const again = assertError(await complete(), c.status, c.code);
      assert.deepEqual(again.body.error!.details, details);
      const cancel = assertError(await on.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: k }), 409, 'conflict');
      assert.equal(cancel.body.error!.details.status, 'failed');

      const reuse = await createSession(on, k, { filename: 'again.txt', content_type: 'text/plain', file_size: 3, alias });
      assert.equal((await on.api('GET', `/v1/assets/${reuse.asset_id}`, { key: k })).body.data.alias, alias);
    });
  });
});

describe('complete before any bytes (409 no_bytes_yet): the session stays usable', () => {
  for (const json of [{}, { async: true }] as const) {
    it(`complete ${JSON.stringify(json)} before the PUT: 409, still pending and reserved; then PUT, cancel or complete work`, async () => {
      const { key: k } = await t.tenant({ quota_bytes: 10 * 1024 * 1024 });
      const s = await createSession(t, k, { filename: 'early.png', content_type: 'image/png', file_size: image.length, alias: 'early-bird' });
      const before = await snapshot(t, k);
      const complete = () => t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json });
      for (let i = 0; i < 2; i++) {
        const early = assertError(await complete(), 409, 'conflict');
        assert.deepEqual(early.body.error!.details, { reason: 'no_bytes_yet', status: 'pending' });
      }
      const upload = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: k })).body.data;
      assert.deepEqual([upload.status, upload.error], ['pending', null]);
      assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key: k })).body.data.alias, 'early-bird', 'the pending asset keeps its alias');
      assert.deepEqual(await snapshot(t, k), before, 'nothing changed: reservation, asset, no bytes');

      assert.equal((await put(s.upload_url, image, 'image/png')).status, 200, 'the signed URL still takes the bytes');
      const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual([done.body.data.status, done.body.data.asset.status], ['completed', 'ready']);
    });
  }

  it('an early complete leaves the session cancelable', async () => {
    const { key: k } = await t.tenant();
    const before = await snapshot(t, k);
    const s = await createSession(t, k, { filename: 'early.png', content_type: 'image/png', file_size: image.length });
    assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k }), 409, 'conflict');
    const canceled = await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: k });
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
    assert.equal(canceled.body.data.status, 'canceled');
    assert.deepEqual((await snapshot(t, k)).usage, before.usage);
  });
});

describe('complete: sessions that are closed or unknown', () => {
  it('complete on a canceled session is 409 conflict with details.status', async () => {
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
    const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key }), 409, 'conflict');
    assert.equal(res.body.error!.details.status, 'canceled');
    assertError(await t.api('GET', `/v1/assets/${s.asset_id}`, { key }), 404, 'not_found');
  });

  it('complete on an expired session is 410 expired, even with its bytes in place', async () => {
    const { key: k } = await t.tenant();
    const s = await createSession(t, k, { filename: 'p.png', content_type: 'image/png', file_size: image.length, expires_in: 60 });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    t.clock.advance(120);
    try {
      assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k }), 410, 'expired');
      assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k }), 410, 'expired');
      assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: k })).body.data.status, 'expired');
      assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)));
      assert.equal((await snapshot(t, k)).usage.reserved_bytes, 0);
    } finally {
      t.clock.advance(-120);
    }
  });

  it('an unknown id is 404; a bad body is 400 and leaves the session open', async () => {
    assertError(await t.api('POST', '/v1/uploads/upl_doesnotexist0000000/complete', { key, json: {} }), 404, 'not_found');
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    const url = `/v1/uploads/${s.upload_id}/complete`;
    assertError(await t.api('POST', url, { key, json: { colour: 'red' } }), 400, 'invalid_request', 'colour');
    assertError(await t.api('POST', url, { key, body: '{"etag":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
    assertError(await t.api('POST', url, { key, json: { etag: 42 } }), 400, 'invalid_request', 'etag');
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'pending');
    const done = await t.api('POST', url, { key, json: {} });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  });

  it('complete on a session whose processing failed after verification is 409 conflict (processing_failed), never a 500', async () => {
    const { key: k } = await t.tenant();
    const { session: s, complete } = await uploadMedia(t, k, await noisyVideo(160, 120), 'noise.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.equal((await assetWhen(t, k, s.asset_id, ['ready', 'failed'])).status, 'failed');
    const upload = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: k })).body.data;
    assert.deepEqual([upload.status, upload.error?.code], ['failed', 'processing_failed']);

    // The same error it failed with, in the envelope: the message, and the stored code as the reason.
    const again = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} }), 409, 'conflict');
    assert.deepEqual(again.body.error!.details, { reason: 'processing_failed', status: 'failed' });
    assert.equal(again.body.error!.message, upload.error.message);
    // Every later complete, sync or async, answers the same.
    for (const json of [{}, { async: true }]) {
      const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json }), 409, 'conflict');
      assert.deepEqual(res.body.error, again.body.error);
    }
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: k })).body.data.status, 'failed');
  });

  it('concurrent completes of a failing upload all give the same answer', async () => {
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, Buffer.alloc(image.length, 'a'), 'image/png')).status, 200);
    const answers = await Promise.all([1, 2, 3].map(() => t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key })));
    for (const a of answers) assertError(a, 415, 'unsupported_media_type');
  });
});

describe('cancel: DELETE /v1/uploads/{id}', () => {
  it('a completed upload is 409 conflict with details.status; its asset and bytes stay', async () => {
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key })).status, 200);
    const stored = await t.storedFiles();
    const res = assertError(await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key }), 409, 'conflict');
    assert.equal(res.body.error!.details.status, 'completed');
    assert.deepEqual(await t.storedFiles(), stored);
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'completed');
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).body.data.status, 'ready');
  });

  it('a pending upload with bytes is canceled: bytes, pending asset, alias and reservation all go', async () => {
    const { key: k } = await t.tenant({ quota_bytes: 10_000 });
    const before = await snapshot(t, k);
    const s = await createSession(t, k, { filename: 'p.png', content_type: 'image/png', file_size: image.length, alias: 'cancel-me' });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.ok((await t.storedFiles()).some((f) => f.includes(s.upload_id)));
    const res = await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: k });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.status, 'canceled');
    assert.equal(res.body.data.status_code, 8);
    const now = await snapshot(t, k);
    assert.deepEqual(now.stored, before.stored);
    assert.deepEqual(now.usage, before.usage);
    assertError(await t.api('GET', `/v1/assets/${s.asset_id}`, { key: k }), 404, 'not_found');
    await createSession(t, k, { filename: 'x.txt', content_type: 'text/plain', file_size: 1, alias: 'cancel-me' });
    // canceling again is idempotent
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: k })).body.data.status, 'canceled');
  });

  it('an unknown upload is 404 not_found', async () => {
    assertError(await t.api('DELETE', '/v1/uploads/upl_doesnotexist0000000', { key }), 404, 'not_found');
  });
});

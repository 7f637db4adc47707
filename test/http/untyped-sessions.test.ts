/**
 * Sessions declared `application/octet-stream` (what the SDK and console send for an
 * extension they do not know, say `clip.video`): accepted at create, checked against the
 * largest per-kind limit, then typed by their bytes at complete — as the form route types
 * `curl -F` files — and held to their real kind's limit and the allowed list. A type that
 * is not allowed is a 415 that lists what is and says how to change it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, jpeg, png, sha256 } from '../helpers/media.js';
import { assertError, createSession, put, refused, snapshot } from './error-helpers.js';

const OCTET = 'application/octet-stream';

let t: TestIntake;
let key: string;
let narrow: TestIntake;
let clip: Buffer;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  narrow = await startIntake({ INTAKE_ALLOWED_TYPES: 'image/png,video/mp4' });
  clip = await ffmpegMedia('mp4');
  image = await png(20, 10);
});
after(async () => {
  await t.close();
  await narrow.close();
});

/** Creates an untyped session, PUTs `bytes` with the signed headers, completes it. */
async function untypedUpload(on: TestIntake, k: string, bytes: Buffer, filename: string, extra: Record<string, unknown> = {}) {
  const s = await createSession(on, k, { filename, content_type: OCTET, file_size: bytes.length, ...extra });
  assert.equal(s.upload_method.headers['Content-Type'] ?? s.upload_method.headers['content-type'], OCTET);
  const sent = await put(s.upload_url, bytes, OCTET);
  assert.equal(sent.status, 200, await sent.clone().text());
  return { session: s, complete: await on.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} }) };
}

describe('sessions declared application/octet-stream', () => {
  it('clip.video: 201 at create (kind unknown), typed by its bytes at complete: a video/mp4 video', async () => {
    const { session, complete } = await untypedUpload(t, key, clip, 'clip.video');
    assert.equal(session.kind, 'unknown');
    assert.equal(session.content_type, OCTET);
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const done = complete.body.data;
    assert.equal(done.content_type, 'video/mp4');
    assert.equal(done.kind, 'video');
    assert.equal(done.asset.kind, 'video');
    assert.equal(done.asset.mimetype, 'video/mp4');
    assert.equal(done.asset.status, 'processing', 'a video is transcoded next');
    assert.ok(done.asset.duration > 0, 'probed as a video');
    const shown = (await t.api('GET', `/v1/uploads/${done.id}`, { key })).body.data;
    assert.deepEqual([shown.content_type, shown.kind], ['video/mp4', 'video']);
  });

  it('an image sent untyped is an image asset, ready at once; with create_asset false the upload takes the real type too', async () => {
    const { complete } = await untypedUpload(t, key, image, 'picture.bin');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.deepEqual([complete.body.data.kind, complete.body.data.status, complete.body.data.asset.status, complete.body.data.asset.mimetype], ['image', 'completed', 'ready', 'image/png']);
    const detached = await untypedUpload(t, key, await png(21, 10), 'detached.bin', { create_asset: false });
    assert.equal(detached.complete.status, 200, JSON.stringify(detached.complete.body));
    assert.deepEqual([detached.complete.body.data.kind, detached.complete.body.data.content_type, detached.complete.body.data.asset], ['image', 'image/png', null]);
  });

  it('kind, when sent, is the kind the bytes must be: PNG bytes in a video session are 415 kind_mismatch', async () => {
    const before = await snapshot(t, key);
    const { session, complete } = await untypedUpload(t, key, await png(22, 10), 'x.video', { kind: 'video' });
    assert.equal(session.kind, 'video');
    const res = assertError(complete, 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'kind_mismatch');
    const after = await snapshot(t, key);
    assert.deepEqual([after.stored, after.usage], [before.stored, before.usage], 'no bytes and no reservation left');
  });

  it('bytes that match no known format are 415 unrecognised at complete, leaving nothing', async () => {
    const before = await snapshot(t, key);
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251 || 1;
    noise[0] = 0; // NUL: not text
    const res = assertError((await untypedUpload(t, key, noise, 'mystery.dat')).complete, 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'unrecognised');
    const after = await snapshot(t, key);
    assert.deepEqual([after.stored, after.usage], [before.stored, before.usage]);
  });

  it('size: the largest per-kind limit at create, the real kind’s at complete (413, nothing left)', async () => {
    const tenant = await t.tenant({ limits: { image: image.length - 1, video: image.length + 1000, audio: 10, document: 10 } });
    // Over every kind's limit: 413 before anything is signed.
    const over = await refused(t, tenant.key, () => t.api('POST', '/v1/uploads', { key: tenant.key, json: { filename: 'big.bin', content_type: OCTET, file_size: image.length + 1001 } }), 413, 'file_too_large', 'file_size');
    assert.equal(over.body.error!.details.max_size, image.length + 1000);
    // Within the video limit: accepted; the bytes are an image, over the image limit.
    const before = await snapshot(t, tenant.key);
    const { session, complete } = await untypedUpload(t, tenant.key, image, 'small.bin');
    const res = assertError(complete, 413, 'file_too_large');
    assert.equal(res.body.error!.details.max_size, image.length - 1);
    assert.match(res.body.error!.message, /image/);
    const upload = (await t.api('GET', `/v1/uploads/${session.upload_id}`, { key: tenant.key })).body.data;
    assert.equal(upload.status, 'failed');
    assert.equal(upload.error.code, 'file_too_large');
    const after = await snapshot(t, tenant.key);
    assert.deepEqual([after.stored, after.usage, after.assets], [before.stored, before.usage, before.assets], 'bytes, reservation and pending asset gone');
  });

  it('file_hash of content already stored: the duplicate shortcut answers with its real type', async () => {
    const bytes = await png(23, 10);
    const first = await untypedUpload(t, key, bytes, 'first.bin');
    assert.equal(first.complete.status, 200);
    const dup = await t.api('POST', '/v1/uploads', { key, json: { filename: 'again.bin', content_type: OCTET, file_size: bytes.length, file_hash: sha256(bytes) } });
    assert.equal(dup.status, 200, JSON.stringify(dup.body));
    assert.equal(dup.body.data.is_duplicate, true);
    assert.deepEqual([dup.body.data.kind, dup.body.data.content_type, dup.body.data.asset_id], ['image', 'image/png', first.complete.body.data.asset.id]);
  });
});

describe('types off the allowed list', () => {
  it('at create: 415 type_not_allowed listing the allowed types and INTAKE_ALLOWED_TYPES', async () => {
    const { key: k } = await narrow.tenant();
    const res = await refused(narrow, k, () => narrow.api('POST', '/v1/uploads', { key: k, json: { filename: 'a.gif', content_type: 'image/gif', file_size: 10 } }), 415, 'unsupported_media_type', 'content_type');
    assert.equal(res.body.error!.details.reason, 'type_not_allowed');
    assert.match(res.body.error!.message, /image\/png, video\/mp4/);
    assert.match(res.body.error!.message, /INTAKE_ALLOWED_TYPES/);
    assert.match(res.body.error!.message, /application\/octet-stream/);
    // An untyped session of a kind none of whose types is allowed.
    const audio = await refused(narrow, k, () => narrow.api('POST', '/v1/uploads', { key: k, json: { filename: 'a.sound', content_type: OCTET, kind: 'audio', file_size: 10 } }), 415, 'unsupported_media_type', 'kind');
    assert.match(audio.body.error!.message, /INTAKE_ALLOWED_TYPES/);
  });

  it('at complete: untyped bytes of a type not allowed are 415 type_not_allowed, with the list; an allowed one passes', async () => {
    const { key: k } = await narrow.tenant();
    const before = await snapshot(narrow, k);
    const res = assertError((await untypedUpload(narrow, k, await jpeg(20, 10), 'photo.bin')).complete, 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'type_not_allowed');
    assert.match(res.body.error!.message, /image\/jpeg.*Allowed: image\/png, video\/mp4.*INTAKE_ALLOWED_TYPES/s);
    const after = await snapshot(narrow, k);
    assert.deepEqual([after.stored, after.usage], [before.stored, before.usage]);
    assert.equal((await untypedUpload(narrow, k, image, 'ok.bin')).complete.status, 200);
  });
});

/**
 * Aliases: `on_alias_conflict: "skip"` answers 200 with the asset holding the alias and
 * reserves nothing (also when racing: the unique index decides); aliases resolve with
 * GET /v1/assets/by-alias/{alias}, and without a key at /p/{namespace}/{alias}[/{label}]
 * only for namespaces with public_delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, jpeg, png } from '../helpers/media.js';
import { assertError, createSession, parsed, put, refused, snapshot } from './error-helpers.js';

let t: TestIntake;
let key: string;
let namespaceId: string;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key, namespaceId } = await t.tenant());
  image = await png(30, 20);
});
after(() => t.close());

async function readyAsset(alias: string, k = key): Promise<any> {
  const s = await createSession(t, k, { filename: 'a.png', content_type: 'image/png', file_size: image.length, alias });
  assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return done.body.data.asset;
}

const session = (alias: string, more: Record<string, unknown> = {}) => ({ filename: 'b.png', content_type: 'image/png', file_size: image.length, alias, ...more });

describe('on_alias_conflict', () => {
  it('skip with a taken alias: 200, skipped_unique_key, existing_asset_id, no URL, nothing reserved or recorded', async () => {
    const asset = await readyAsset('logo');
    const before = await snapshot(t, key);
    const res = await t.api('POST', '/v1/uploads', { key, json: session('logo', { on_alias_conflict: 'skip' }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.skipped_unique_key, true);
    assert.equal(res.body.data.existing_asset_id, asset.id);
    assert.equal(res.body.data.upload_url, null);
    assert.equal(res.body.data.upload_id, null);
    assert.deepEqual(await snapshot(t, key), before);
  });

  it('skip with a free alias creates the session as usual', async () => {
    const res = await t.api('POST', '/v1/uploads', { key, json: session('free-one', { on_alias_conflict: 'skip' }) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.ok(res.body.data.upload_url);
    assert.equal(res.body.data.skipped_unique_key, undefined);
  });

  it('the default (and "error") stays a 409 naming alias; an unknown mode is 400', async () => {
    await readyAsset('taken');
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: session('taken') }), 409, 'conflict', 'alias');
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: session('taken', { on_alias_conflict: 'error' }) }), 409, 'conflict', 'alias');
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: session('taken', { on_alias_conflict: 'replace' }) }), 400, 'invalid_request');
  });

  it('racing creates with skip: one session, every other answer is a skip pointing at its asset', async () => {
    const before = await snapshot(t, key);
    const results = await Promise.all(Array.from({ length: 6 }, () => t.api('POST', '/v1/uploads', { key, json: session('raced', { on_alias_conflict: 'skip' }) })));
    const created = results.filter((r) => r.status === 201);
    const skipped = results.filter((r) => r.status === 200);
    assert.equal(created.length, 1, JSON.stringify(results.map((r) => r.body)));
    assert.equal(skipped.length, 5);
    for (const r of skipped) assert.equal(r.body.data.existing_asset_id, created[0]!.body.data.asset_id);
    const after = await snapshot(t, key);
    assert.equal(after.uploads.length, before.uploads.length + 1);
    assert.equal(after.usage.reserved_bytes, before.usage.reserved_bytes + image.length, 'one reservation only');
  });
});

describe('aliases resolve', () => {
  it('GET /v1/assets/by-alias/{alias} is the asset; unknown or another tenant’s alias is 404', async () => {
    const asset = await readyAsset('by-alias');
    const res = await t.api('GET', '/v1/assets/by-alias/by-alias', { key });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.id, asset.id);
    assertError(await t.api('GET', '/v1/assets/by-alias/nope', { key }), 404, 'not_found');
    const other = await t.tenant();
    assertError(await t.api('GET', '/v1/assets/by-alias/by-alias', { key: other.key }), 404, 'not_found');
  });

  it('/p/ is 404 until the namespace opts in to public delivery, then a 302 to a signed link', async () => {
    const asset = await readyAsset('public-logo');
    const noRedirect = (path: string) => fetch(t.url + path, { redirect: 'manual' });
    assertError(await parsed(await noRedirect(`/p/${namespaceId}/public-logo`)), 404, 'not_found');

    const patch = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: true } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const res = await noRedirect(`/p/${namespaceId}/public-logo`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=60');
    const location = res.headers.get('location')!;
    assert.match(location, /sig=/);
    const got = await fetch(location);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), image);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');

    const original = await noRedirect(`/p/${namespaceId}/public-logo/original`);
    assert.equal(original.status, 302);
    assert.ok(asset.id);
    assertError(await parsed(await noRedirect(`/p/${namespaceId}/public-logo/720p`)), 404, 'not_found');
    assertError(await parsed(await noRedirect(`/p/${namespaceId}/no-such-alias`)), 404, 'not_found');
    assertError(await parsed(await noRedirect(`/p/ns_doesnotexist0000000/public-logo`)), 404, 'not_found');

    // Another namespace's alias is not served under this one, nor is a private namespace's.
    const other = await t.tenant();
    await readyAsset('private-logo', other.key);
    assertError(await parsed(await noRedirect(`/p/${other.namespaceId}/private-logo`)), 404, 'not_found');
    assertError(await parsed(await noRedirect(`/p/${namespaceId}/private-logo`)), 404, 'not_found');

    const off = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: false } });
    assert.equal(off.body.data.public_delivery, false);
    assertError(await parsed(await noRedirect(`/p/${namespaceId}/public-logo`)), 404, 'not_found');
  });

  it('a labelled source is served by label; a video defaults to its tallest rendition, never to an attached file', async () => {
    await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: true } });
    const clip = await ffmpegMedia('mp4');
    const poster = await jpeg(32, 24);
    const trailer = await ffmpegMedia('mp4', 2);
    const ids: string[] = [];
    for (const [bytes, type, name] of [[clip, 'video/mp4', 'c.mp4'], [poster, 'image/jpeg', 'p.jpg'], [trailer, 'video/mp4', 't.mp4']] as const) {
      const s = await createSession(t, key, { filename: name, content_type: type, file_size: bytes.length, create_asset: false });
      assert.equal((await put(s.upload_url, bytes, type)).status, 200);
      assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} })).status, 200);
      ids.push(s.upload_id);
    }
    const made = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: ids[0] }, { upload_id: ids[1], label: 'poster' }, { upload_id: ids[2], label: 'trailer' }], alias: 'Clip' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const at = async (path: string) => {
      const res = await fetch(t.url + path, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      return res.headers.get('location')!;
    };
    const posterBytes = await fetch(await at(`/p/${namespaceId}/clip/poster`));
    assert.deepEqual(Buffer.from(await posterBytes.arrayBuffer()), poster, 'the poster by its label (the alias in any case)');
    assert.match(await at(`/p/${namespaceId}/clip`), new RegExp(`${ids[0]}/original`), 'no rendition yet: the original, not the attached trailer video');

    // A rendition (as the processing pipeline records one) becomes the default.
    await t.intake.deps.store.assets.insertSource({
      id: 'src_rendition0000000001', asset_id: made.body.data.id, namespace_id: namespaceId, label: '720p', mimetype: 'video/mp4',
      width: 160, height: 120, duration: 1, bitrate: null, filesize: clip.length, storage_key: `${namespaceId}/${made.body.data.id}/720p.mp4`, blob_id: null, created_at: new Date().toISOString(),
    });
    assert.match(await at(`/p/${namespaceId}/clip`), /720p\.mp4/);
    await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: false } });
  });

  it('an alias still waiting for its bytes is not served', async () => {
    await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: true } });
    await createSession(t, key, session('not-yet'));
    assertError(await parsed(await fetch(`${t.url}/p/${namespaceId}/not-yet`, { redirect: 'manual' })), 404, 'not_found');
    await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { public_delivery: false } });
  });
});

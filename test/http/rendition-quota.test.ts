/**
 * Renditions count in the quota: every stored byte (transcodes, posters, thumbnails,
 * previews) is in stored_bytes once the asset is ready, and leaves it with the asset.
 * Renditions are made even when they pass the quota; the namespace then takes no new upload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';
import { createSession } from './error-helpers.js';

let t: TestIntake;
before(async () => {
  t = await startIntake();
});
after(() => t.close());

const usage = async (namespaceId: string) => (await t.api('GET', `/v1/namespaces/${namespaceId}`)).body.data as { stored_bytes: number; reserved_bytes: number; quota_bytes: number };

describe('renditions in the quota', () => {
  it('a video: stored_bytes is the original plus its renditions, past the quota; new uploads are refused; delete gives back all', async () => {
    const clip = await videoClip(320, 240);
    // Room for the original only: the renditions pass the quota.
    const tenant = await t.tenant({ quota_bytes: clip.length + 1024 });
    const { complete } = await uploadMedia(t, tenant.key, clip, 'small.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const asset = await assetWhen(t, tenant.key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    await t.settled();
    const renditions = asset.sources.filter((s: any) => s.label !== 'original');
    assert.deepEqual(renditions.map((s: any) => s.label).sort(), ['240p', 'poster']);
    // The HLS and storyboard folders (playback.*, not listed sources) count too: each row holds its files' bytes.
    const folders = (await t.intake.deps.store.assets.listSources(asset.id)).filter((s) => ['hls', 'storyboard'].includes(s.label));
    assert.deepEqual(folders.map((s) => s.label).sort(), ['hls', 'storyboard']);
    const renditionBytes = renditions.reduce((sum: number, s: any) => sum + s.filesize, 0) + folders.reduce((sum, s) => sum + s.filesize, 0);
    assert.ok(renditionBytes > 1024);
    const u = await usage(tenant.namespaceId);
    assert.equal(u.stored_bytes, clip.length + renditionBytes);
    assert.equal(u.reserved_bytes, 0);
    assert.ok(u.stored_bytes > u.quota_bytes, 'renditions are made and counted past the quota');
    // No room left for anything new.
    const refused = await t.api('POST', '/v1/uploads', { key: tenant.key, json: { filename: 'p.png', content_type: 'image/png', file_size: 10 } });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error!.code, 'quota_exceeded');

    const del = await t.api('DELETE', `/v1/assets/${asset.id}`, { key: tenant.key });
    assert.ok(del.status < 300, JSON.stringify(del.body));
    assert.deepEqual(await usage(tenant.namespaceId).then((x) => [x.stored_bytes, x.reserved_bytes]), [0, 0]);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.startsWith(tenant.namespaceId)), []);
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('an image: its thumbnail and preview are counted, and given back on delete', async () => {
    const tenant = await t.tenant();
    const image = await png(640, 480);
    const s = await createSession(t, tenant.key, { filename: 'i.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: s.upload_method.headers, body: image })).status, 200);
    const complete = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: tenant.key });
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    await t.settled();
    const asset = (await t.api('GET', `/v1/assets/${complete.body.data.asset.id}`, { key: tenant.key })).body.data;
    const renditions = asset.sources.filter((src: any) => src.label !== 'original');
    assert.ok(renditions.length >= 1, JSON.stringify(asset.sources));
    const renditionBytes = renditions.reduce((sum: number, src: any) => sum + src.filesize, 0);
    assert.equal((await usage(tenant.namespaceId)).stored_bytes, image.length + renditionBytes);
    const del = await t.api('DELETE', `/v1/assets/${asset.id}`, { key: tenant.key });
    assert.ok(del.status < 300, JSON.stringify(del.body));
    assert.equal((await usage(tenant.namespaceId)).stored_bytes, 0);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.startsWith(tenant.namespaceId)), []);
  });
});

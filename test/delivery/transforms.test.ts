/**
 * Image transforms by URL: every parameter, format negotiation, EXIF orientation, presets
 * on public URLs, unsigned and expired URLs refused, the stored copy served without a
 * second render, derived bytes counted in the quota and removed with the asset, a video's
 * frame at a chosen time, and the link lifetime a caller chooses within the bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';

let t: TestIntake;
let tenant: { namespaceId: string; key: string };
let imageId: string;
before(async () => {
  t = await startIntake({ INTAKE_MAX_LINK_SECONDS: '86400' });
  tenant = await t.tenant();
  const src = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#3366cc' } }).composite([{ input: { create: { width: 100, height: 100, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }]).jpeg({ quality: 95 }).toBuffer();
  const { complete } = await uploadMedia(t, tenant.key, src, 'wide.jpg', 'image/jpeg');
  assert.equal(complete.status, 200, JSON.stringify(complete.body));
  imageId = complete.body.data.asset.id;
  await t.settled();
});
after(() => t.close());

async function mint(id: string, query: string, expect = 200): Promise<string> {
  const res = await t.api('GET', `/v1/assets/${id}/url?${query}`, { key: tenant.key });
  assert.equal(res.status, expect, JSON.stringify(res.body));
  return res.body.data?.url;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  const meta = res.status === 200 ? await sharp(body).metadata() : null;
  return { res, body, meta };
}

describe('transforms by signed URL', () => {
  it('width, height and dpr size the image; fit decides how it meets the box', async () => {
    const cases: Array<[string, number, number]> = [
      ['width=100', 100, 50],
      ['height=50', 100, 50],
      ['width=100&dpr=2', 200, 100],
      ['width=100&height=100&fit=cover', 100, 100],
      ['width=100&height=100&fit=contain', 100, 100],
      ['width=100&height=100&fit=inside', 100, 50],
      ['width=100&height=100&fit=fill', 100, 100],
      ['width=1000', 400, 200], // never enlarged
    ];
    for (const [q, w, h] of cases) {
      const { res, meta } = await get(await mint(imageId, `${q}&format=png`));
      assert.equal(res.status, 200, q);
      assert.deepEqual([meta!.width, meta!.height], [w, h], q);
    }
    // cover crops the centre (blue); fill squashes, so the white corner block stays in the corner.
    const cover = await sharp((await get(await mint(imageId, 'width=100&height=100&fit=cover&format=png'))).body).raw().toBuffer();
    assert.ok(cover[2]! > 150 && cover[0]! < 100, 'cover: the top-left pixel is from the blue middle');
    const fill = await sharp((await get(await mint(imageId, 'width=100&height=100&fit=fill&format=png'))).body).raw().toBuffer();
    assert.ok(fill[0]! > 200 && fill[1]! > 200, 'fill: the top-left pixel is the white corner');
  });

  it('format picks the encoding; quality trades bytes', async () => {
    for (const format of ['webp', 'avif', 'jpeg', 'png'] as const) {
      const { res, meta } = await get(await mint(imageId, `width=80&format=${format}`));
      assert.equal(res.headers.get('content-type'), `image/${format}`);
      assert.equal(meta!.format === 'heif' ? 'avif' : meta!.format, format);
      assert.equal(res.headers.get('vary'), null, 'a fixed format does not vary');
    }
    const low = await get(await mint(imageId, 'width=300&format=jpeg&quality=10'));
    const high = await get(await mint(imageId, 'width=300&format=jpeg&quality=95'));
    assert.ok(low.body.length < high.body.length, `q10 ${low.body.length} vs q95 ${high.body.length}`);
  });

  it('format=auto answers AVIF to a client that takes it, WebP to one that takes that, JPEG otherwise, with Vary: Accept', async () => {
    const url = await mint(imageId, 'width=64&format=auto');
    const avif = await get(url, { accept: 'image/avif,image/webp,*/*' });
    assert.equal(avif.res.headers.get('content-type'), 'image/avif');
    assert.equal(avif.res.headers.get('vary'), 'Accept');
    assert.equal((await get(url, { accept: 'image/webp,*/*' })).res.headers.get('content-type'), 'image/webp');
    assert.equal((await get(url, { accept: '*/*' })).res.headers.get('content-type'), 'image/jpeg');
  });

  it('applies the EXIF orientation', async () => {
    // Stored 80×40, tagged "rotate 90° clockwise": displayed 40×80.
    const rotated = await sharp({ create: { width: 80, height: 40, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { complete } = await uploadMedia(t, tenant.key, rotated, 'rotated.jpg', 'image/jpeg');
    const { meta } = await get(await mint(complete.body.data.asset.id, 'width=20&format=png'));
    assert.deepEqual([meta!.width, meta!.height], [20, 40]);
  });

  it('refuses URLs it did not sign, changed ones and expired ones with 403, and bad parameters with 400', async () => {
    const base = `${t.url}/t/${imageId}`;
    const unsigned = await fetch(`${base}?width=333&format=webp`);
    assert.equal(unsigned.status, 403);
    assert.equal(((await unsigned.json()) as any).error.code, 'forbidden');
    const url = await mint(imageId, 'width=120&format=webp', 200);
    assert.equal((await fetch(url.replace('width=120', 'width=121'))).status, 403, 'a changed size');
    assert.equal((await fetch(url.replace(`/t/${imageId}`, '/t/med_other'))).status, 403, 'another asset');
    const short = await mint(imageId, 'width=120&format=webp&expires_in=60');
    assert.equal((await fetch(short)).status, 200);
    t.clock.advance(61);
    try {
      const expired = await fetch(short);
      assert.equal(expired.status, 403);
      assert.equal(((await expired.json()) as any).error.details.reason, 'link_expired');
    } finally {
      t.clock.advance(-61);
    }
    for (const q of ['width=0', 'width=5000', 'dpr=9', 'quality=101', 'fit=stretch', 'format=gif', 'time=1', 'expires_in=86401', 'color=red']) {
      const res = await t.api('GET', `/v1/assets/${imageId}/url?${q}`, { key: tenant.key });
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, 'invalid_request');
    }
    assert.equal((await t.api('GET', `/v1/assets/${imageId}/url?width=10`, { key: (await t.tenant()).key })).status, 404, 'another namespace’s asset');
  });

  it('renders once: later requests are served from storage, with an ETag, a long Cache-Control and 304 on If-None-Match', async () => {
    const url = await mint(imageId, 'width=77&format=webp');
    const before = t.intake.transforms.renders;
    const first = await get(url);
    assert.equal(first.res.headers.get('intake-transform'), 'rendered');
    const again = await get(url);
    assert.equal(again.res.headers.get('intake-transform'), 'cached');
    assert.deepEqual(again.body, first.body);
    assert.equal(t.intake.transforms.renders, before + 1, 'one render for two requests');
    // The same transform minted again (another signature) is the same stored file.
    assert.equal((await get(await mint(imageId, 'width=77&format=webp'))).res.headers.get('intake-transform'), 'cached');
    const etag = first.res.headers.get('etag')!;
    assert.match(first.res.headers.get('cache-control')!, /^public, max-age=\d+, immutable$/);
    assert.equal(first.res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal(t.intake.transforms.renders, before + 1);
  });

  it('a burst of the same new URL renders once', async () => {
    const url = await mint(imageId, 'width=91&format=jpeg');
    const before = t.intake.transforms.renders;
    const all = await Promise.all(Array.from({ length: 6 }, () => fetch(url).then(async (r) => [r.status, (await r.arrayBuffer()).byteLength])));
    assert.ok(all.every(([s, n]) => s === 200 && n! > 0));
    assert.equal(t.intake.transforms.renders, before + 1);
  });
});

describe('derived bytes', () => {
  it('count in the namespace’s stored bytes and leave with the asset', async () => {
    const own = await t.tenant();
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#00aa00' } }).png().toBuffer();
    const { complete } = await uploadMedia(t, own.key, png, 'g.png', 'image/png');
    const id = complete.body.data.asset.id;
    await t.settled();
    const usage = async () => (await t.api('GET', '/v1/usage', { key: own.key })).body.data.stored_bytes as number;
    const before = await usage();
    const url = (await t.api('GET', `/v1/assets/${id}/url?width=150&format=png`, { key: own.key })).body.data.url;
    const res = await fetch(url);
    const size = (await res.arrayBuffer()).byteLength;
    assert.equal(await usage(), before + size);
    assert.ok((await t.storedFiles()).some((f) => f.startsWith(`${own.namespaceId}/${id}/t/`)));
    assert.equal((await fetch(url)).headers.get('intake-transform'), 'cached');
    assert.equal((await t.api('DELETE', `/v1/assets/${id}`, { key: own.key })).status, 200);
    assert.equal((await fetch(url)).status, 404, 'its signed URL, still unexpired, serves nothing once the asset is gone');
    assert.equal(await usage(), 0);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.startsWith(`${own.namespaceId}/`)), []);
  });
});

describe('presets on public URLs', () => {
  it('serve a namespace’s named transforms by alias; unknown presets and private namespaces are 404', async () => {
    const own = await t.tenant();
    const png = await sharp({ create: { width: 300, height: 150, channels: 3, background: '#aa0000' } }).png().toBuffer();
    const { complete } = await uploadMedia(t, own.key, png, 'p.png', 'image/png');
    const id = complete.body.data.asset.id;
    assert.equal((await t.api('PATCH', `/v1/assets/${id}`, { key: own.key, json: { alias: 'hero' } })).status, 200);
    const path = `/p/${own.namespaceId}/hero/t/thumb`;
    assert.equal((await fetch(t.url + path)).status, 404, 'not public yet');
    const bad = await t.api('PATCH', `/v1/namespaces/${own.namespaceId}`, { json: { presets: { thumb: { width: 5000 } } } });
    assert.equal(bad.status, 400);
    const set = await t.api('PATCH', `/v1/namespaces/${own.namespaceId}`, { json: { public_delivery: true, presets: { thumb: { width: 60, format: 'webp' }, card: { width: 100, height: 100, fit: 'cover', format: 'auto' } } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.data.presets.thumb, { width: 60, format: 'webp' });
    const thumb = await get(t.url + path);
    assert.equal(thumb.res.status, 200);
    assert.deepEqual([thumb.meta!.format, thumb.meta!.width, thumb.meta!.height], ['webp', 60, 30]);
    assert.equal(thumb.res.headers.get('cache-control'), 'public, max-age=300');
    const card = await get(`${t.url}/p/${own.namespaceId}/hero/t/card`, { accept: 'image/avif' });
    assert.equal(card.res.headers.get('content-type'), 'image/avif');
    assert.equal(card.res.headers.get('vary'), 'Accept');
    assert.equal((await fetch(`${t.url}/p/${own.namespaceId}/hero/t/huge`)).status, 404);
    assert.equal((await fetch(`${t.url}/p/${own.namespaceId}/hero/t/constructor`)).status, 404);
    assert.equal((await fetch(`${t.url}/p/${own.namespaceId}/nobody/t/thumb`)).status, 404);
  });
});

describe('video frames', () => {
  it('a frame at a chosen time, sized like an image; past the end is 400', async () => {
    const { complete } = await uploadMedia(t, tenant.key, await videoClip(320, 240, 2), 'v.mp4', 'video/mp4');
    const id = complete.body.data.asset.id;
    assert.equal((await assetWhen(t, tenant.key, id, ['ready', 'failed'])).status, 'ready');
    const { res, meta } = await get(await mint(id, 'time=1.5&width=160&format=jpeg'));
    assert.equal(res.status, 200);
    assert.deepEqual([meta!.format, meta!.width, meta!.height], ['jpeg', 160, 120]);
    const early = await get(await mint(id, 'time=0.1&width=160&format=jpeg'));
    assert.notDeepEqual(early.body, (await get(await mint(id, 'time=1.5&width=160&format=jpeg'))).body, 'another moment, another frame');
    const late = await fetch(await mint(id, 'time=30&width=160'));
    assert.equal(late.status, 400);
  });
});

describe('link lifetime', () => {
  it('the asset view’s links live as long as the caller asks, within the configured bound', async () => {
    const res = await t.api('GET', `/v1/assets/${imageId}?expires_in=120`, { key: tenant.key });
    assert.equal(res.status, 200);
    const expires = Number(new URL(res.body.data.url).searchParams.get('expires'));
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 120)) < 5, `expires ${expires}`);
    const dflt = await t.api('GET', `/v1/assets/${imageId}`, { key: tenant.key });
    assert.ok(Math.abs(Number(new URL(dflt.body.data.url).searchParams.get('expires')) - (Date.now() / 1000 + 3600)) < 5);
    const listed = await t.api('GET', '/v1/assets?expires_in=300', { key: tenant.key });
    assert.ok(Math.abs(Number(new URL(listed.body.data[0].url).searchParams.get('expires')) - (Date.now() / 1000 + 300)) < 5);
    assert.equal((await t.api('GET', `/v1/assets/${imageId}?expires_in=86401`, { key: tenant.key })).status, 400);
    t.clock.advance(121);
    try {
      assert.equal((await fetch(res.body.data.url)).status, 410, 'the short link is over');
    } finally {
      t.clock.advance(-121);
    }
  });
});

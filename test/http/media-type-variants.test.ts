/**
 * Variants of allowed types that were refused: AIFF under its `x-` name (as WAV and FLAC
 * have theirs), RF64 WAV (64-bit sizes, `RF64` instead of `RIFF`), and gzip-compressed SVG
 * (`.svgz`) with an SVG's limits applied to what it inflates to, and a bound on that.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegFile, sha256, svg } from '../helpers/media.js';
import { assertNothingLeft, assetWhen, download, untypedUpload, uploadMedia } from '../helpers/processing.js';
import { assertError, createSession, put } from './error-helpers.js';

const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1'];

let t: TestIntake;
let key: string;
before(async () => {
  t = await startIntake();
  key = (await t.tenant()).key;
});
after(() => t.close());

describe('audio types', () => {
  it('audio/x-aiff is allowed (as audio/x-wav and audio/x-flac are) and becomes audio/aiff', async () => {
    const bytes = await ffmpegFile([...tone, '-c:a', 'pcm_s16be', '-f', 'aiff'], 'aiff');
    const { complete } = await uploadMedia(t, key, bytes, 'tone.aiff', 'audio/x-aiff');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.deepEqual([complete.body.data.asset.kind, complete.body.data.asset.mimetype], ['audio', 'audio/aiff']);
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed'], 30_000);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    await assertNothingLeft(t);
  });

  for (const mode of ['always', 'auto']) {
    it(`an RF64 WAV (-rf64 ${mode}) is audio/wav and gets its AAC rendition`, async () => {
      const bytes = await ffmpegFile([...tone, '-c:a', 'pcm_s16le', '-rf64', mode, '-f', 'wav'], 'wav');
      if (mode === 'always') assert.equal(bytes.toString('latin1', 0, 4), 'RF64');
      const { complete } = await uploadMedia(t, key, bytes, 'tone.wav', 'audio/wav');
      assert.equal(complete.status, 200, JSON.stringify(complete.body));
      const a = complete.body.data.asset;
      assert.deepEqual([a.kind, a.mimetype], ['audio', 'audio/wav']);
      assert.ok(Math.abs(a.duration - 1) < 0.1, `duration ${a.duration}`);
      const asset = await assetWhen(t, key, a.id, ['ready', 'failed'], 30_000);
      assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
      assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['audio', 'original']);
      await assertNothingLeft(t);
    });
  }
});

describe('gzip-compressed SVG (.svgz)', () => {
  const svgz = gzipSync(svg(64, 48));

  /** The asset once its thumbnail and preview are listed. */
  const withRenditions = (assetId: string) =>
    eventually(async () => {
      const a = (await t.api('GET', `/v1/assets/${assetId}`, { key })).body.data;
      return a.sources.length === 3 ? a : null;
    }, 30_000, 'the thumbnail and preview');

  it('declared image/svg+xml, an .svgz is an SVG: probed, with a thumbnail and a preview', async () => {
    const s = await createSession(t, key, { filename: 'logo.svgz', content_type: 'image/svg+xml', file_size: svgz.length, file_hash: sha256(svgz) });
    assert.equal((await put(s.upload_url, svgz, 'image/svg+xml')).status, 200);
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const a = done.body.data.asset;
    assert.deepEqual([a.status, a.kind, a.mimetype, a.width, a.height], ['ready', 'image', 'image/svg+xml', 64, 48]);
    const asset = await withRenditions(a.id);
    assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['original', 'preview', 'thumbnail']);
    const thumbnail = asset.sources.find((s: any) => s.label === 'thumbnail');
    const meta = await sharp(await download(thumbnail.url)).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 64, 48]);
    // The original is kept as sent: still the gzip bytes.
    assert.equal(sha256(await download(a.url)), sha256(svgz));
    await assertNothingLeft(t);
  });

  it('sent untyped, an .svgz is an SVG too', async () => {
    const { upload, asset } = await untypedUpload(t, key, svgz, 'logo.svgz');
    assert.equal(upload.content_type, 'image/svg+xml');
    assert.deepEqual([asset.status, asset.mimetype, asset.width, asset.height], ['ready', 'image/svg+xml', 64, 48]);
    await withRenditions(asset.id);
    await assertNothingLeft(t);
  });

  /** Sends `bytes` declared SVG, expects the refusal, and that nothing was kept. */
  async function refusedSvgz(bytes: Buffer, status: number, code: string, details: Record<string, string>): Promise<void> {
    const s = await createSession(t, key, { filename: 'x.svgz', content_type: 'image/svg+xml', file_size: bytes.length });
    assert.equal((await put(s.upload_url, bytes, 'image/svg+xml')).status, 200);
    const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key }), status, code);
    for (const [k, v] of Object.entries(details)) assert.equal(res.body.error!.details[k], v, k);
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).status, 404);
    assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)), 'the refused bytes are gone');
    await assertNothingLeft(t);
  }

  it('the element limit counts the inflated SVG: 150,000 elements in a few KiB of gzip are 413 too_complex (elements)', async () => {
    const many = gzipSync(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<g/>'.repeat(150_000)}</svg>`));
    assert.ok(many.length < 10_000, `${many.length} bytes of gzip`);
    await refusedSvgz(many, 413, 'file_too_large', { reason: 'too_complex', limit: 'elements' });
  });

  it('a gzip bomb (64 MiB of comment behind an SVG start tag, ~64 KiB of gzip) is 413 too_complex (size)', async () => {
    const head = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!--');
    const bomb = gzipSync(Buffer.concat([head, Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from('--></svg>')]), { level: 9 });
    assert.ok(bomb.length < 200_000, `${bomb.length} bytes of gzip`);
    await refusedSvgz(bomb, 413, 'file_too_large', { reason: 'too_complex', limit: 'size' });
  });

  it('a cut-off .svgz is 415 undecodable (bad bytes, not an outage to retry)', async () => {
    const whole = gzipSync(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<rect width="1" height="1"/>'.repeat(2000)}</svg>`));
    await refusedSvgz(whole.subarray(0, whole.length - 20), 415, 'unsupported_media_type', { reason: 'undecodable' });
  });
});

/**
 * Decoding bombs sent through the real server: SVGs of many elements (librsvg's memory
 * grows with them), and raster headers claiming more pixels than sharp's own cap. Each
 * fails only its own upload, with a 413 and a reason, and leaves nothing behind: no
 * bytes, no reservation, no asset, no image process, and the server's memory near idle.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { jpeg, png } from '../helpers/media.js';
import { assertError, createSession, put, snapshot } from './error-helpers.js';

/** An SVG of `n` rectangles: about 40 bytes of file, and ~1.6 KB of librsvg memory, each. */
function svgOfRects(n: number): Buffer {
  const parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'];
  for (let i = 0; i < n; i++) parts.push(`<rect x="${i % 100}" y="1" width="2" height="3"/>`);
  parts.push('</svg>');
  return Buffer.from(parts.join(''));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A real PNG whose IHDR claims `width` × `height` (CRC fixed, so it is a valid header). */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(await png(1, 1));
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
  return b;
}

/** A real JPEG whose SOF0 marker claims `width` × `height`. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(await jpeg(16, 16));
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0, 'no SOF0 marker');
  b.writeUInt16BE(height, sof + 5);
  b.writeUInt16BE(width, sof + 7);
  return b;
}

async function sendAndComplete(t: TestIntake, key: string, bytes: Buffer, contentType: string, filename: string) {
  const s = await createSession(t, key, { filename, content_type: contentType, file_size: bytes.length });
  const sent = await put(s.upload_url, bytes, contentType);
  assert.equal(sent.status, 200, await sent.text());
  return { session: s, res: await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key }) };
}

/** Nothing of a refused upload remains, and no image process outlives its job. */
async function assertNothingLeft(t: TestIntake, key: string, refused?: { upload_id: string; asset_id: string }): Promise<void> {
  if (refused) {
    assert.equal((await t.api('GET', `/v1/uploads/${refused.upload_id}`, { key })).body.data.status, 'failed');
    assert.equal((await t.api('GET', `/v1/assets/${refused.asset_id}`, { key })).status, 404);
    assert.ok(!(await t.storedFiles()).some((f) => f.includes(refused.upload_id)), 'the refused bytes are still stored');
  }
  const now = await snapshot(t, key);
  assert.deepEqual(now.temp, []);
  assert.deepEqual(now.usage.reserved_bytes, 0);
  assert.deepEqual(now.assets.filter((a) => !a.includes(':ready:')), [], 'an asset of a refused upload remains');
  await eventually(async () => t.intake.deps.images.processes === 0, 10_000, 'every image process to exit');
}

describe('SVG bombs', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({
      INTAKE_MAX_SVG_ELEMENTS: '2000',
      INTAKE_IMAGE_MEMORY_MB: '192',
      INTAKE_IMAGE_IDLE_MS: '200',
    });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('an SVG over the element limit is 413 too_complex before librsvg sees it', async () => {
    const { session, res } = await sendAndComplete(t, key, svgOfRects(5000), 'image/svg+xml', 'many.svg');
    assertError(res, 413, 'file_too_large');
    assert.equal(res.body.error!.details.reason, 'too_complex');
    assert.equal(res.body.error!.details.limit, 'elements');
    await assertNothingLeft(t, key, session);
  });

  it('an SVG under the element limit is fine', async () => {
    const { res } = await sendAndComplete(t, key, svgOfRects(100), 'image/svg+xml', 'few.svg');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.asset.width, 100);
  });
});

describe('a decode that outgrows its memory cap fails alone', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    // No element limit to speak of: only the per-job memory cap stands in the way.
    t = await startIntake({ INTAKE_MAX_SVG_ELEMENTS: '10000000', INTAKE_IMAGE_MEMORY_MB: '192', INTAKE_IMAGE_IDLE_MS: '200' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('a 200k-element SVG is 413 too_complex (memory) while a PNG alongside completes; server memory stays near idle', async () => {
    const idleRss = process.memoryUsage().rss;
    const good = await png(320, 200);
    const [bomb, fine] = await Promise.all([
      sendAndComplete(t, key, svgOfRects(200_000), 'image/svg+xml', 'bomb.svg'),
      sendAndComplete(t, key, good, 'image/png', 'fine.png'),
    ]);
    assertError(bomb.res, 413, 'file_too_large');
    assert.equal(bomb.res.body.error!.details.reason, 'too_complex');
    assert.equal(bomb.res.body.error!.details.limit, 'memory');
    assert.equal(fine.res.status, 200, JSON.stringify(fine.res.body));
    assert.equal(fine.res.body.data.asset.width, 320);
    // librsvg needed ~400 MB for that file; none of it was in this (the server's) process.
    const grew = process.memoryUsage().rss - idleRss;
    assert.ok(grew < 120 * 1024 * 1024, `server RSS grew by ${Math.round(grew / 1e6)} MB`);
    await assertNothingLeft(t, key, bomb.session);
  });
});

describe('the decoder concurrency cap', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({ INTAKE_IMAGE_CONCURRENCY: '1', INTAKE_IMAGE_IDLE_MS: '200' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('with INTAKE_IMAGE_CONCURRENCY=1, four images completed at once use one process at a time and all succeed', async () => {
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, t.intake.deps.images.processes)), 2);
    try {
      const results = await Promise.all([1, 2, 3, 4].map(async (i) => sendAndComplete(t, key, await png(40 + i, 30), 'image/png', `p${i}.png`)));
      assert.deepEqual(results.map((r) => r.res.status), [200, 200, 200, 200]);
      assert.deepEqual(results.map((r) => r.res.body.data.asset.width), [41, 42, 43, 44]);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(most, 1);
    await assertNothingLeft(t, key);
  });
});

describe('a decode that outlives its deadline fails alone', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({ INTAKE_MAX_SVG_ELEMENTS: '10000000', INTAKE_IMAGE_MEMORY_MB: '2048', INTAKE_IMAGE_TIMEOUT_MS: '100', INTAKE_IMAGE_IDLE_MS: '200' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('an SVG that takes longer than INTAKE_IMAGE_TIMEOUT_MS is 413 too_complex (time)', async () => {
    const { session, res } = await sendAndComplete(t, key, svgOfRects(150_000), 'image/svg+xml', 'slow.svg');
    assertError(res, 413, 'file_too_large');
    assert.equal(res.body.error!.details.reason, 'too_complex');
    assert.equal(res.body.error!.details.limit, 'time');
    await assertNothingLeft(t, key, session);
  });
});

describe('pixel bombs above sharp\'s own cap', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({ INTAKE_IMAGE_IDLE_MS: '200' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  for (const [name, make, type, w, h] of [
    ['a PNG claiming 30000×30000', () => pngClaiming(30000, 30000), 'image/png', 30000, 30000],
    ['a JPEG claiming 65500×65500', () => jpegClaiming(65500, 65500), 'image/jpeg', 65500, 65500],
  ] as const) {
    it(`${name} is 413 too_many_pixels, with its dimensions`, async () => {
      const { session, res } = await sendAndComplete(t, key, await make(), type, 'huge');
      assertError(res, 413, 'file_too_large');
      assert.equal(res.body.error!.details.reason, 'too_many_pixels');
      assert.deepEqual([res.body.error!.details.width, res.body.error!.details.height], [w, h]);
      await assertNothingLeft(t, key, session);
    });
  }

  it('INTAKE_MAX_IMAGE_PIXELS above sharp\'s default cap (268 M) is honoured', async () => {
    const big = await startIntake({ INTAKE_MAX_IMAGE_PIXELS: '1000000000', INTAKE_IMAGE_IDLE_MS: '200' });
    try {
      const tenant = await big.tenant();
      const { res } = await sendAndComplete(big, tenant.key, await pngClaiming(30000, 30000), 'image/png', 'wide.png');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.data.asset.width, res.body.data.asset.height], [30000, 30000]);
    } finally {
      await big.close();
    }
  });
});

/**
 * Uppy, first class: the example's Dashboard + @uppy/tus (Chromium) uploads to Intake's
 * /tus/ with an upload URL its app server obtained (the key never reaches the page). One
 * upload's connection is cut after its first chunk: Uppy's tus client asks the stored URL
 * for the offset (HEAD) and sends the rest, and the asset is ready with the file's SHA-256.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { png } from '../helpers/media.js';
import { assertUploadedAsset, useUppyExample } from '../helpers/uppy-example.js';

/** A JPEG of noise that no encoder shrinks: about 1 MB, several chunks. */
async function noiseJpeg(side: number): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

describe('Uppy Dashboard + @uppy/tus against Intake: the example app', () => {
  const example = useUppyExample();

  it('uploads two files through the Dashboard, one resumed after its connection broke past the first chunk; both assets are ready with their SHA-256', async () => {
    const { intake, key, app, browser } = example();
    const big = await noiseJpeg(700);
    const small = await png(40, 30);
    const chunk = 128 * 1024;
    assert.ok(big.length > 3 * chunk, `${big.length} bytes make several chunks`);
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (r) => seen.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())}`));
    // The second PATCH of the big file dies mid-way, as a dropped connection would.
    let bigPatches = 0;
    let cut = false;
    await page.route(`${intake.url}/tus/**`, async (route) => {
      const r = route.request();
      if (r.method() === 'PATCH' && r.headers()['upload-offset'] !== undefined && Number(r.headers()['content-length'] ?? r.postDataBuffer()?.length) === chunk) {
        bigPatches++;
        if (bigPatches === 2 && !cut) {
          cut = true;
          return route.abort('connectionreset');
        }
      }
      return route.continue();
    });
    await page.goto(`${app.url}/?chunk=${chunk}`);
    await page.locator('.uppy-Dashboard-input').first().setInputFiles([
      { name: 'noise.jpg', mimeType: 'image/jpeg', buffer: big },
      { name: 'dot.png', mimeType: 'image/png', buffer: small },
    ]);
    await page.locator('.uppy-StatusBar-actionBtn--upload').click();
    for (const name of ['noise.jpg', 'dot.png']) {
      await page.waitForSelector(`li[data-name="${name}"][data-status]`, { timeout: 30_000 });
      assert.equal(await page.locator(`li[data-name="${name}"]`).getAttribute('data-status'), 'uploaded', await page.locator(`li[data-name="${name}"]`).innerText());
    }
    await browser.screenshot(page, 'uppy-tus-dashboard-uploaded');
    assert.ok(cut, 'a PATCH was cut');
    // After the cut, the client asked the stored URL for its offset and went on from there.
    const heads = seen.filter((s) => s.startsWith(`HEAD ${intake.url}/tus/`));
    assert.ok(heads.length >= 1, 'a HEAD after the broken PATCH');
    const offsets = seen.filter((s) => s.startsWith(`PATCH ${intake.url}/tus/`)).map((s) => Number(/"upload-offset":"(\d+)"/.exec(s)?.[1]));
    assert.ok(offsets.includes(chunk), `resumed at ${chunk}: ${offsets.join(', ')}`);
    assert.ok(!offsets.some((o, i) => i > 0 && o === 0 && offsets.slice(0, i).includes(chunk)), 'never restarted from 0');

    for (const [name, bytes] of [['noise.jpg', big], ['dot.png', small]] as const) {
      await assertUploadedAsset(intake, key, await page.locator(`li[data-name="${name}"]`).getAttribute('data-asset-id'), name, bytes);
    }
    assert.ok(seen.every((s) => !s.includes(key)), 'the API key never appears in what the page sends');
  });
});

/**
 * Delivery in the console, in a real Chromium with the page's CSP enforced: the details
 * panel plays an uploaded video's HLS stream through hls.js (currentTime past 2 s, at least
 * two levels read from the master playlist), draws its placeholder, and renders a transform
 * from a signed URL it asked the API for; no error and no CSP violation on the page.
 * Screenshot: test-results/screenshots/console-playback.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consoleFixture, naturalSize, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { eventually } from '../helpers/intake.js';
import { assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';

declare const document: any;

describe('console playback', () => {
  let f: ConsoleFixture;
  let asset: any;

  before(async () => {
    let clip: Buffer | undefined;
    f = await consoleFixture(async () => (clip = await videoClip(320, 240, 8)), { INTAKE_VIDEO_LADDER: '240,180' });
    const { complete } = await uploadMedia(f.t, f.tenant.key, clip!, 'trailer.mp4', 'video/mp4');
    asset = await assetWhen(f.t, f.tenant.key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  });
  after(() => f?.close());

  it('plays the HLS stream with hls.js, shows its levels, the placeholder and a transform, CSP-clean', async () => {
    const w = await watch(f.b);
    const { page } = w;
    await signIn(page, f.t.url, f.tenant.key);
    await page.click(`[data-asset="${asset.id}"] button.thumb`);
    const details = page.locator(`[data-details="${asset.id}"]`);
    const video = details.locator('video[data-engine="hls.js"]');
    await video.waitFor();

    // hls.js read both rungs from the master playlist; the page says so.
    const levels = await eventually(async () => Number(await video.getAttribute('data-levels')) || null, 15_000, 'hls.js to parse the master playlist');
    assert.ok(levels >= 2, `${levels} levels`);
    assert.match((await details.getByTestId('hls-levels').textContent()) ?? '', /240p, 180p/);
    assert.match((await video.evaluate((v: { src: string }) => v.src)) ?? '', /^blob:/, 'played through Media Source Extensions');

    await video.evaluate((v: { muted: boolean; play(): Promise<void> }) => {
      v.muted = true;
      return v.play();
    });
    const reached = await eventually(async () => {
      const time = await video.evaluate((v: { currentTime: number }) => v.currentTime);
      return time > 2 ? time : null;
    }, 20_000, 'currentTime to pass 2 s');
    assert.ok(reached > 2);
    const fetched = w.requests.filter((u) => u.includes(`/hls/${asset.id}/`));
    assert.ok(fetched.some((u) => u.endsWith('.m4s')), 'segments came from the signed HLS path');
    assert.ok(!fetched.some((u) => /key|authorization/i.test(new URL(u).search)), 'no key in any URL');

    // The placeholder: the ThumbHash drawn at its own small size, and the dominant colour.
    const placeholder = details.getByTestId('placeholder');
    assert.equal(await placeholder.locator('code').textContent(), asset.placeholder.color);
    const drawn = await placeholder.locator('canvas').evaluate((c: any) => ({ w: c.width, h: c.height, alpha: c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3] }));
    assert.ok(drawn.w > 0 && drawn.h > 0 && drawn.alpha > 0, JSON.stringify(drawn));

    // A transform of the video's frame at 2 s: 160 px wide WebP, from a URL the API signed.
    const form = details.locator('form.transform-form');
    await form.locator('input[name=width]').fill('160');
    await form.locator('select[name=format]').selectOption('webp');
    await form.locator('input[name=time]').fill('2');
    await form.getByRole('button', { name: 'Render' }).click();
    const img = details.getByTestId('transformed');
    assert.match((await img.getAttribute('src')) ?? '', /\/t\/med_\w+\?.*width=160.*sig=/);
    assert.deepEqual(await naturalSize(page, `[data-details="${asset.id}"] [data-testid=transformed]`), { width: 160, height: 120 });

    await page.evaluate(() => document.querySelector('video').pause());
    await details.evaluate((el: { scrollTop: number }) => (el.scrollTop = 0));
    await f.b.screenshot(page, 'console-playback');
    assert.deepEqual(w.problems, []);
  });
});

/**
 * How the console looks, in a real Chromium: 1280 and 390 px, light and dark, a drop zone
 * that states the namespace's limits and types, details beside the grid (a sheet on a
 * phone) that start fresh for each asset, nothing scrolling sideways, no CSP violation.
 * Screenshots go to test-results/screenshots/console-<width>-<scheme>[-list].png.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consoleFixture, dropFiles, noHorizontalScroll, picture, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { eventually } from '../helpers/intake.js';

describe('web console looks', () => {
  let f: ConsoleFixture;
  let pictures: string[];
  before(async () => {
    f = await consoleFixture(async (dir) => {
      pictures = ['harbour.jpg', 'meadow.jpg', 'dusk.jpg'].map((n) => path.join(dir, n));
      await Promise.all(pictures.map((p, i) => picture(p, [200, 100, 320][i]!)));
    });
    // A library to look at: three pictures with their thumbnails (and their rows, done, in this page only).
    const w = await watch(f.b);
    await signIn(w.page, f.t.url, f.tenant.key);
    await w.page.locator('[data-testid=namespace]').waitFor();
    await dropFiles(w.page, pictures);
    await eventually(async () => (await w.page.locator('[data-asset] img[data-label=thumbnail]').count()) >= 3, 60_000, 'three pictures with thumbnails');
    await w.page.context().close();
  });
  after(() => f?.close());

  for (const width of [1280, 390]) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`at ${width} px, ${scheme}: the drop zone states limits and types, details open beside the grid, nothing scrolls sideways`, async () => {
        const w = await watch(f.b, { viewport: { width, height: width > 600 ? 900 : 844 }, colorScheme: scheme, ...(width < 600 ? { isMobile: true, hasTouch: true } : {}) });
        const { page } = w;
        await signIn(page, f.t.url, f.tenant.key);
        await page.locator('[data-testid=namespace]').filter({ hasText: 'test' }).waitFor();
        const rules = (await page.textContent('[data-testid=upload-rules]')) ?? '';
        assert.match(rules, /Images up to [\d.]+ [KMGT]i?B/);
        assert.match(rules, /JPEG/);
        const grid = page.locator('[data-asset][data-status=ready]:has(img[data-label=thumbnail])');
        await eventually(async () => (await grid.count()) >= 3, 30_000, 'pictures with thumbnails');
        await grid.first().locator('button.thumb').click();
        const details = page.locator('[data-details]');
        await details.waitFor();
        if (width > 1100) {
          const [g, d] = await Promise.all([page.locator('.grid').boundingBox(), details.boundingBox()]);
          assert.ok(g && d && d.x >= g.x + g.width - 1 && d.y < g.y + g.height, 'the details panel sits beside the grid, not under it');
        }
        await noHorizontalScroll(page);
        // On a phone the details are a sheet over the window: the window is what the user sees.
        await f.b.screenshot(page, `console-${width}-${scheme}`, { fullPage: width > 600 });
        // Delete's confirmation does not carry over to another asset.
        await details.getByRole('button', { name: 'Delete', exact: true }).click();
        await details.getByRole('button', { name: 'Delete for good' }).waitFor();
        await page.getByRole('button', { name: 'Close details' }).click();
        await grid.nth(1).locator('button.thumb').click();
        await page.locator('[data-details]').getByRole('button', { name: 'Delete', exact: true }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Delete for good' }).count(), 0, 'a fresh panel for another asset');
        await page.getByRole('button', { name: 'Close details' }).click();
        await noHorizontalScroll(page);
        await f.b.screenshot(page, `console-${width}-${scheme}-list`);
        assert.deepEqual(w.problems, []);
        await page.context().close();
      });
    }
  }
});

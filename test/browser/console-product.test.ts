/**
 * The console as a product, in a real Chromium against a real Intake reached through a
 * slow uplink (a throttled relay that the page and the signed URLs both go through):
 * progress that moves with the bytes, an upload that survives a reload, admin creating a
 * namespace and a key, and how it looks at 1280 and 390 px, light and dark (screenshots
 * in test-results/screenshots/), with no horizontal scroll on a phone and no CSP violation.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { consoleFixture, dropFiles, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { ADMIN_KEY, eventually, freePort } from '../helpers/intake.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { textFile } from '../sdk/fixtures.js';

declare const document: any;
declare const window: any;
declare const MutationObserver: any;
declare const sessionStorage: any;

const MiB = 1024 * 1024;
const SIZE = 30 * 1000 * 1000;

/** A colourful picture (an SVG gradient rendered by sharp), so the grid looks like a library. */
async function picture(file: string, hue: number): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="640"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="hsl(${hue},75%,60%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360},70%,35%)"/></linearGradient></defs>
    <rect width="960" height="640" fill="url(#g)"/><circle cx="${300 + hue}" cy="320" r="170" fill="hsla(${(hue + 180) % 360},80%,75%,0.55)"/></svg>`;
  await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toFile(file);
}

/** Records every value of data-sent (and data-acked) the rows show, per file. */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, Array<[number, number]>> = {};
    window.progressSeen = seen;
    new MutationObserver((records: Array<{ target: { dataset: Record<string, string> } }>) => {
      for (const r of records) {
        const el = r.target;
        if (el.dataset.file) (seen[el.dataset.file] ??= []).push([Number(el.dataset.sent), Number(el.dataset.acked)]);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-sent', 'data-acked'] });
  });
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px window`);
}

describe('web console as a product', () => {
  let f: ConsoleFixture;
  let proxy: TcpProxy;
  let thirty: string;
  let again: string;
  let pictures: string[];
  /** One more picture per screenshot run, so each adds a new asset (not a copy). */
  const extra = (width: number, scheme: string) => path.join(f.dir, `studio-${width}-${scheme}.jpg`);
  before(async () => {
    const port = await freePort();
    f = await consoleFixture(async (dir) => {
      pictures = ['harbour.jpg', 'meadow.jpg', 'dusk.jpg'].map((n) => path.join(dir, n));
      await Promise.all(pictures.map((p, i) => picture(p, [200, 100, 320][i]!)));
      await Promise.all([1280, 390].flatMap((w, i) => ['light', 'dark'].map((s, j) => picture(path.join(dir, `studio-${w}-${s}.jpg`), 30 + 70 * (i * 2 + j)))));
      thirty = (await textFile(dir, 'thirty-megabytes.txt', SIZE)).file;
      again = (await textFile(dir, 'survives-a-reload.txt', SIZE)).file;
    }, { INTAKE_PUBLIC_URL: `http://127.0.0.1:${port}` });
    proxy = new TcpProxy(port, { host: '127.0.0.1', port: Number(new URL(f.t.url).port) }, { bytesPerSecond: 8 * MiB });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await f?.close();
  });

  it('a 30 MB file on a slow uplink: the bar moves with the bytes (at least 10 distinct values, never back), with speed and time left', async () => {
    const w = await watch(f.b, { viewport: { width: 1280, height: 900 } });
    const { page } = w;
    await signIn(page, proxy.url, f.tenant.key);
    await page.locator('[data-testid=namespace]').waitFor();
    await recordProgress(page);
    await dropFiles(page, [thirty, ...pictures]);
    const row = page.locator('[data-file="thirty-megabytes.txt"]');
    await eventually(async () => /\/s · .* left/.test((await row.locator('.amount').textContent()) ?? ''), 20_000, 'speed and time left');
    await eventually(async () => (await row.getAttribute('data-state')) === 'done', 60_000, 'the 30 MB file uploaded');
    const seen = ((await page.evaluate(() => window.progressSeen)) as Record<string, Array<[number, number]>>)['thirty-megabytes.txt'] ?? [];
    const sent = seen.map(([s]) => s);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]![0] >= seen[i - 1]![0], `sent went back: ${seen[i - 1]![0]} → ${seen[i]![0]}`);
      assert.ok(seen[i]![1] >= seen[i - 1]![1], `acknowledged went back: ${seen[i - 1]![1]} → ${seen[i]![1]}`);
    }
    const distinct = new Set(sent);
    assert.ok(distinct.size >= 10, `${distinct.size} distinct values: ${[...distinct].join(', ')}`);
    assert.ok([...distinct].filter((n) => n % (8 * MiB) !== 0 && n !== SIZE).length >= 5, 'values inside parts, not a part at a time');
    assert.equal(sent.at(-1), SIZE);
    for (const p of pictures) await eventually(async () => (await page.locator(`[data-file="${path.basename(p)}"]`).getAttribute('data-state')) === 'done', 30_000, p);
    assert.deepEqual(w.problems, []);
    await page.context().close();
  });

  it('a reload mid-upload: the row comes back, the file chosen again continues from the acknowledged parts on the same session', async () => {
    const w = await watch(f.b, { viewport: { width: 1280, height: 900 } });
    const { page } = w;
    proxy.opts.bytesPerSecond = 3 * MiB;
    try {
      await signIn(page, proxy.url, f.tenant.key);
      await page.locator('[data-testid=namespace]').waitFor();
      await dropFiles(page, [again]);
      const row = page.locator('[data-file="survives-a-reload.txt"]');
      await eventually(async () => Number(await row.getAttribute('data-acked')) >= 8 * MiB, 30_000, 'a part acknowledged');
      await page.reload();
    } finally {
      proxy.opts.bytesPerSecond = 24 * MiB;
    }
    const row = page.locator('[data-file="survives-a-reload.txt"][data-state=interrupted]');
    await row.waitFor();
    const kept = Number(await row.getAttribute('data-acked'));
    assert.ok(kept >= 8 * MiB && kept < SIZE, `kept ${kept}`);
    await f.b.screenshot(page, 'console-interrupted-1280-light');
    const before = proxy.uplinkBytes;
    await page.setInputFiles('[data-testid=file-input]', again);
    const resumed = page.locator('[data-file="survives-a-reload.txt"]');
    await eventually(async () => (await resumed.getAttribute('data-state')) === 'done', 60_000, 'the resumed upload done');
    const sentAfter = proxy.uplinkBytes - before;
    assert.ok(sentAfter < SIZE - kept + 2 * MiB, `sent ${sentAfter} after the reload, but ${kept} were acknowledged before it`);
    const sessions = ((await f.t.api('GET', '/v1/uploads?limit=50', { key: f.tenant.key })).body.data as Array<{ filename: string; status: string }>).filter((u) => u.filename === 'survives-a-reload.txt');
    assert.deepEqual(sessions.map((s) => s.status), ['completed'], 'one session, resumed and completed');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('intake.console.pending')), null, 'nothing left to resume');
    assert.deepEqual(w.problems, []);
    await page.context().close();
  });

  it('admin creates a namespace and a key (the secret shown once) and sees names, not ids', async () => {
    const w = await watch(f.b, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page } = w;
    await signIn(page, proxy.url, ADMIN_KEY);
    await page.locator('[data-testid=admin-notice]').waitFor();
    await page.fill('input[name=namespace-name]', 'marketing');
    await page.fill('input[name=namespace-quota]', '500');
    await page.getByRole('button', { name: 'Create namespace' }).click();
    await page.locator('[data-keys]').filter({ hasText: 'Keys of marketing' }).waitFor();
    await page.fill('input[name=key-name]', 'website');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.locator('[data-testid=new-secret] input').inputValue();
    assert.match(secret, /^sk_/);
    const usage = await f.t.api('GET', '/v1/usage', { key: secret });
    assert.equal(usage.body.data.namespace_name, 'marketing', 'the new key works on the new namespace');
    await page.locator('.key-list li').filter({ hasText: 'website' }).waitFor();
    const text = (await page.textContent('main')) ?? '';
    assert.ok(!/\bns_[a-z0-9]+/.test(text), 'no namespace ids on the page');
    await noHorizontalScroll(page);
    await f.b.screenshot(page, 'console-admin-390-light');
    await page.getByRole('button', { name: 'I have kept it' }).click();
    assert.equal(await page.locator('[data-testid=new-secret]').count(), 0, 'the secret is gone once dismissed');
    assert.deepEqual(w.problems, []);
    await page.context().close();
  });

  for (const width of [1280, 390]) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`at ${width} px, ${scheme}: the drop zone states limits and types, details open beside the grid, nothing scrolls sideways`, async () => {
        const w = await watch(f.b, { viewport: { width, height: width > 600 ? 900 : 844 }, colorScheme: scheme, ...(width < 600 ? { isMobile: true, hasTouch: true } : {}) });
        const { page } = w;
        await signIn(page, proxy.url, f.tenant.key);
        await page.locator('[data-testid=namespace]').filter({ hasText: 'test' }).waitFor();
        const rules = (await page.textContent('[data-testid=upload-rules]')) ?? '';
        assert.match(rules, /Images up to [\d.]+ [KMGT]i?B/);
        assert.match(rules, /JPEG/);
        // A row in every state a screenshot should show: one done, one paused mid-way.
        await dropFiles(page, [extra(width, scheme)]);
        await page.locator(`[data-file="${path.basename(extra(width, scheme))}"][data-state=done]`).waitFor({ timeout: 30_000 });
        const grid = page.locator('[data-asset][data-status=ready]:has(img[data-label=thumbnail])');
        await eventually(async () => (await grid.count()) === (await page.locator('[data-asset][data-status=ready]:has(.placeholder.image), [data-asset]:has(img[data-label=thumbnail])').count()) && (await grid.count()) >= 4, 30_000, 'every picture with its thumbnail');
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

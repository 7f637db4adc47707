/**
 * The web console in a real Chromium against a real Intake (SQLite, local disk, its own
 * worker): sign-in, drag-and-drop uploads with progress, processing to ready, renditions
 * rendered at their real size, details, delete, sign-out — with the page's CSP enforced
 * and no error or CSP violation on the page. Pause, resume and cancel: console-transfers.test.ts.
 * Screenshots: test-results/screenshots/console-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestBrowser } from '../helpers/browser.js';
import { consoleFixture, dropFiles, naturalSize, noise, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { ADMIN_KEY, eventually, type TestIntake } from '../helpers/intake.js';
import { avClip, CLIP } from '../helpers/media.js';

// Page-side code (evaluate callbacks) runs in the browser; the project compiles without the DOM
// library, so the browser globals those callbacks use are declared here, for this file only.
declare const document: any;
declare const window: any;
declare const sessionStorage: any;
declare const localStorage: any;
declare const MutationObserver: any;
declare const navigator: any;

describe('web console', () => {
  let f: ConsoleFixture;
  let b: TestBrowser;
  let t: TestIntake;
  let tenant: { namespaceId: string; key: string };
  const video = { name: 'clip.mp4', file: '' };
  // Noise does not compress: over one 8 MiB part, so the console sends it in two and its bar stops half-way.
  const image = { name: 'noise.png', file: '', width: 2048, height: 1536, size: 0 };

  before(async () => {
    f = await consoleFixture(async (dir) => {
      video.file = path.join(dir, video.name);
      image.file = path.join(dir, image.name);
      await Promise.all([avClip('mp4', 1).then((clip) => fs.writeFile(video.file, clip)), noise(image.file, image.width, image.height)]);
    });
    ({ b, t, tenant } = f);
    image.size = (await fs.stat(image.file)).size;
    assert.ok(image.size > 8 * 1024 * 1024, `the noise image is ${image.size} bytes: more than one part`);
  });
  after(() => f?.close());

  it('serves the console at / with a strict CSP and leaves the API, health and delivery routes as they were', async () => {
    const res = await fetch(`${t.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
      assert.ok(csp.split('; ').includes(directive), `CSP has ${directive}: ${csp}`);
    }
    // Delivery links point at Intake itself on local disk (INTAKE_PUBLIC_URL's origin).
    assert.ok(csp.includes(`img-src 'self' ${t.url}`) && csp.includes(`media-src 'self' ${t.url}`), csp);
    assert.ok(!csp.includes('unsafe'), csp);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /<style|style=/, 'no inline style');
    const script = /<script[^>]+src="([^"]+)"/.exec(html)![1]!;
    const js = await fetch(`${t.url}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);

    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    const api = await fetch(`${t.url}/v1/assets`);
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal(api.headers.get('content-security-policy'), null, 'API answers keep their own headers');
    const missing = await fetch(`${t.url}/no-such-page`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('refuses an unknown key and an admin key is told it cannot read namespaces’ media', async () => {
    const w = await watch(b);
    await signIn(w.page, t.url, 'sk_not_a_real_key_0000000000');
    await w.page.getByRole('alert').filter({ hasText: 'does not know this key' }).waitFor();
    assert.equal(await w.page.evaluate(() => sessionStorage.length), 0);

    await w.page.fill('#key', ADMIN_KEY);
    await w.page.click('button[type=submit]');
    await w.page.locator(`[data-namespace="${tenant.namespaceId}"]`).waitFor();
    assert.match((await w.page.textContent('[data-testid=admin-notice]')) ?? '', /does not let it read or upload/);
    await b.screenshot(w.page, 'console-admin');
    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.locator('#key').waitFor();
    assert.equal(await w.page.evaluate(() => sessionStorage.length), 0);
    // The unknown key's 401 is the one console error Chromium logs (a failed fetch).
    assert.deepEqual(w.problems.filter((p) => !/status of 401/.test(p)), []);
    await w.page.context().close();
  });

  it('signs in, uploads a video and an image by drag-and-drop with moving progress bars, shows their renditions, and deletes', async () => {
    const w = await watch(b);
    const { page } = w;
    await signIn(page, t.url, tenant.key);
    await page.locator(`[data-testid=namespace][data-id="${tenant.namespaceId}"]`).waitFor();

    // Every value the progress rows show, as the page showed them.
    await page.evaluate(() => {
      const seen: Record<string, number[]> = {};
      window.progressSeen = seen;
      new MutationObserver((records: Array<{ target: { dataset: Record<string, string> } }>) => {
        for (const r of records) {
          const el = r.target;
          if (el.dataset.file) (seen[el.dataset.file] ??= []).push(Number(el.dataset.sent));
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-sent'] });
    });
    await dropFiles(page, [video.file, image.file]);
    const row = (name: string) => page.locator(`[data-file="${name}"]`);
    await row(video.name).locator('progress').waitFor();
    await b.screenshot(page, 'console-uploading');
    for (const f of [video, image]) await eventually(async () => (await row(f.name).getAttribute('data-state')) === 'done', 30_000, `${f.name} uploaded`);

    const seen = (await page.evaluate(() => window.progressSeen)) as Record<string, number[]>;
    const imageSeen = seen[image.name] ?? [];
    assert.ok(imageSeen.some((v) => v > 0 && v < image.size), `the image's bar stopped between 0 and ${image.size}: ${imageSeen}`);
    assert.equal(imageSeen.at(-1), image.size);
    assert.deepEqual([...imageSeen].sort((x, y) => x - y), imageSeen, 'progress never goes backwards');
    assert.equal(await row(image.name).locator('progress').evaluate((p: { value: number; max: number }) => p.value / p.max), 1);

    // Both assets turn ready in the list (polled), with their renditions.
    type Listed = { id: string; filename: string; status: string; sources: Array<{ label: string; width: number; height: number }> };
    const assets = await eventually(async () => {
      const list = (await t.api('GET', '/v1/assets', { key: tenant.key })).body.data as Listed[];
      // Images are ready at once and get their renditions from a job, like videos.
      const done = (a: Listed) => a.status === 'ready' && a.sources.some((s) => s.label === 'poster' || s.label === 'thumbnail');
      return list.length === 2 && list.every(done) ? list : null;
    }, 40_000, 'both assets ready with their renditions');
    const byName = Object.fromEntries(assets.map((a) => [a.filename, a.id]));
    for (const id of Object.values(byName)) await page.locator(`[data-asset="${id}"][data-status=ready]`).waitFor({ timeout: 20_000 });

    const rendition = (name: string, label: string) => assets.find((a) => a.filename === name)!.sources.find((s) => s.label === label)!;
    const poster = rendition(video.name, 'poster');
    const thumbnail = rendition(image.name, 'thumbnail');
    assert.deepEqual([poster.width, poster.height], [CLIP.width, CLIP.height]);
    assert.deepEqual(await naturalSize(page, `[data-asset="${byName[video.name]}"] img[data-label=poster]`), { width: poster.width, height: poster.height });
    assert.deepEqual(await naturalSize(page, `[data-asset="${byName[image.name]}"] img[data-label=thumbnail]`), { width: thumbnail.width, height: thumbnail.height });
    await b.screenshot(page, 'console-ready');

    // Details: probed facts, sources, the video player on its HLS stream with the poster (playing it: console-playback.test.ts).
    await page.click(`[data-asset="${byName[video.name]}"] button.thumb`);
    const details = page.locator(`[data-details="${byName[video.name]}"]`);
    await details.waitFor();
    assert.match((await details.textContent()) ?? '', new RegExp(`${CLIP.width}×${CLIP.height}`));
    for (const label of ['original', 'poster']) await details.locator(`[data-source=${label}]`).waitFor();
    await details.locator('video[data-engine="hls.js"]').waitFor();
    assert.match((await details.locator('video').getAttribute('poster')) ?? '', /\/files\//);
    await b.screenshot(page, 'console-details');

    // Copy delivery link: the clipboard holds a signed link that serves the original's bytes.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await details.getByRole('button', { name: 'Copy delivery link' }).click();
    await details.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    const link = (await page.evaluate(() => navigator.clipboard.readText())) as string;
    assert.ok(link.startsWith(`${t.url}/files/`), link);
    assert.deepEqual(Buffer.from(await (await fetch(link)).arrayBuffer()), await fs.readFile(video.file));

    // Filters: kind=image leaves the image only.
    await page.selectOption('select[name=kind]', 'image');
    await eventually(async () => (await page.locator('[data-asset]').count()) === 1, 10_000, 'the kind filter');
    assert.equal(await page.locator(`[data-asset="${byName[image.name]}"]`).count(), 1);
    await page.selectOption('select[name=kind]', '');
    await eventually(async () => (await page.locator('[data-asset]').count()) === 2, 10_000, 'the filter cleared');

    // Delete the image: gone from the list and from the API.
    await page.click(`[data-asset="${byName[image.name]}"] button.thumb`);
    const imageDetails = page.locator(`[data-details="${byName[image.name]}"]`);
    await imageDetails.getByRole('button', { name: 'Delete', exact: true }).click();
    await imageDetails.getByRole('button', { name: 'Delete for good' }).click();
    await page.locator(`[data-asset="${byName[image.name]}"]`).waitFor({ state: 'detached' });
    assert.equal((await t.api('GET', `/v1/assets/${byName[image.name]}`, { key: tenant.key })).status, 404);

    // The key: in this tab's session storage only, never in a URL, cookie or localStorage.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('intake.console.key')), tenant.key);
    const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    assert.ok(!local.includes(tenant.key), 'not in localStorage');
    assert.deepEqual(await page.context().cookies(), []);
    assert.ok(!page.url().includes(tenant.key));
    assert.deepEqual(w.requests.filter((u) => u.includes(tenant.key)), [], 'no request URL carries the key');

    // A reload stays signed in (same tab); sign-out forgets the key.
    await page.reload();
    await page.locator(`[data-asset="${byName[video.name]}"]`).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('intake.console.key')), null);

    assert.deepEqual(w.problems, []);
    await page.context().close();
  });
});

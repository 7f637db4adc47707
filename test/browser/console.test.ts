/**
 * The web console in a real Chromium against a real Intake (SQLite, local disk, its own
 * worker): sign-in, drag-and-drop uploads with progress, processing to ready, renditions
 * rendered at their real size, details, delete, sign-out — with the page's CSP enforced
 * and no error or CSP violation on the page. Screenshots: test-results/screenshots/console-*.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { ADMIN_KEY, eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { avClip, CLIP, png } from '../helpers/media.js';

// Page-side code (evaluate callbacks) runs in the browser; the project compiles without the DOM
// library, so the few browser globals those callbacks use are declared here, for this file only.
declare const document: any;
declare const window: any;
declare const sessionStorage: any;
declare const localStorage: any;
declare const DataTransfer: any;
declare const MutationObserver: any;
declare const navigator: any;

/** What went wrong on a page: console errors, uncaught exceptions, CSP violations. */
interface Watched {
  page: Page;
  problems: string[];
  requests: string[];
}

async function watch(b: TestBrowser): Promise<Watched> {
  const page = await b.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (r) => requests.push(r.url()));
  // Also caught when Chromium would not log it: every violation of the page's CSP.
  await page.exposeFunction('reportViolation', (v: string) => problems.push(`CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, problems, requests };
}

/** Files from disk into the page (a hidden input of the test's own), dropped on the drop zone as a real drop event. */
async function dropFiles(page: Page, files: string[]): Promise<void> {
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'test-files', hidden: true });
    document.body.append(input);
  });
  await page.setInputFiles('#test-files', files);
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    for (const f of document.getElementById('test-files').files) dt.items.add(f);
    return dt;
  });
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('[data-testid=dropzone]', type, { dataTransfer });
  await page.evaluate(() => document.getElementById('test-files').remove());
}

/** A PNG of random noise (a different one each call): it barely compresses, so its size is about width × height × 3. */
async function noise(file: string, width: number, height: number): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 80 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.fill('#key', key);
  await page.click('button[type=submit]');
}

/** naturalWidth/naturalHeight of an image once it has loaded (0×0 if it failed). */
async function naturalSize(page: Page, selector: string): Promise<{ width: number; height: number }> {
  const img = page.locator(selector);
  await img.waitFor();
  await eventually(() => img.evaluate((el: { complete: boolean }) => el.complete), 10_000, `${selector} to load`);
  return img.evaluate((el: { naturalWidth: number; naturalHeight: number }) => ({ width: el.naturalWidth, height: el.naturalHeight }));
}

describe('web console', () => {
  let b: TestBrowser;
  let t: TestIntake;
  let dir: string;
  let tenant: { namespaceId: string; key: string };
  const video = { name: 'clip.mp4', file: '' };
  // Noise does not compress: over one 8 MiB part, so the console sends it in two and its bar stops half-way.
  const image = { name: 'noise.png', file: '', width: 2048, height: 1536, size: 0 };
  /** Another one, for the pause test. */
  let paused: string;

  before(async () => {
    // The console as npm test builds it (skipped when dist/console is newer than its sources).
    execFileSync(process.execPath, ['scripts/setup.mjs', '--console'], { stdio: 'inherit' });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-console-'));
    video.file = path.join(dir, video.name);
    image.file = path.join(dir, image.name);
    paused = path.join(dir, 'paused.png');
    [b, t] = await Promise.all([
      launchBrowser(),
      startIntake(),
      avClip('mp4', 2).then((clip) => fs.writeFile(video.file, clip)),
      noise(image.file, image.width, image.height),
      noise(paused, image.width, image.height),
    ]);
    image.size = (await fs.stat(image.file)).size;
    assert.ok(image.size > 8 * 1024 * 1024, `the noise image is ${image.size} bytes: more than one part`);
    tenant = await t.tenant();
  });
  after(async () => {
    await b?.close();
    // A connection the test's own fetch opened but never sent a request on does not count as
    // idle for Node's server.close(), which would then wait for the 60 s socket timeout.
    t?.intake.app.server.closeAllConnections();
    await t?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

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
    await page.locator('[data-testid=namespace-id]').filter({ hasText: tenant.namespaceId }).waitFor();

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

    // Details: probed facts, sources, the video player on its rendition with the poster.
    await page.click(`[data-asset="${byName[video.name]}"] button.thumb`);
    const details = page.locator(`[data-details="${byName[video.name]}"]`);
    await details.waitFor();
    assert.match((await details.textContent()) ?? '', new RegExp(`${CLIP.width}×${CLIP.height}`));
    for (const label of ['original', 'poster']) await details.locator(`[data-source=${label}]`).waitFor();
    assert.match((await details.locator('video').getAttribute('src')) ?? '', /\/files\//);
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

  it('pauses and resumes an upload in parts on the same session, and cancels another on the server', async () => {
    const w = await watch(b);
    const { page } = w;
    const big = paused;
    const small = path.join(dir, 'canceled.png');
    await fs.writeFile(small, await png(64, 48));
    await signIn(page, t.url, tenant.key);
    await page.locator('[data-testid=namespace-id]').waitFor();
    const row = (name: string) => page.locator(`[data-file="${name}"]`);

    // Bytes to storage are held back until the test lets them through.
    const held: Array<{ url: string }> = [];
    await page.route(/\/files\//, (route) => {
      if (route.request().method() === 'PUT') held.push({ url: route.request().url() });
      else void route.continue();
    });
    await dropFiles(page, [big]);
    await eventually(async () => held.length >= 2, 15_000, 'both parts sent');
    assert.ok(held.every((h) => /[?&]part=/.test(h.url)), 'sent in parts');
    await row('paused.png').getByRole('button', { name: 'Pause' }).click();
    await eventually(async () => (await row('paused.png').getAttribute('data-state')) === 'paused', 10_000, 'paused');
    assert.equal(await row('paused.png').getAttribute('data-sent'), '0');
    await b.screenshot(page, 'console-paused');

    await page.unroute(/\/files\//);
    await row('paused.png').getByRole('button', { name: 'Resume' }).click();
    await eventually(async () => (await row('paused.png').getAttribute('data-state')) === 'done', 30_000, 'resumed upload done');
    const sessions = ((await t.api('GET', '/v1/uploads?limit=50', { key: tenant.key })).body.data as Array<{ filename: string; status: string }>).filter((u) => u.filename === 'paused.png');
    assert.equal(sessions.length, 1, 'resume continued the paused session');
    assert.equal(sessions[0]!.status, 'completed');

    // Cancel while the bytes are in flight: the session is canceled on the server.
    await page.route(/\/files\//, () => undefined);
    await dropFiles(page, [small]);
    await eventually(async () => (await row('canceled.png').getAttribute('data-state')) === 'uploading', 10_000, 'uploading');
    await eventually(async () => ((await t.api('GET', '/v1/uploads?limit=50', { key: tenant.key })).body.data as Array<{ filename: string }>).some((u) => u.filename === 'canceled.png'), 10_000, 'its session');
    await row('canceled.png').getByRole('button', { name: 'Cancel' }).click();
    await eventually(async () => (await row('canceled.png').getAttribute('data-state')) === 'canceled', 10_000, 'canceled');
    await eventually(async () => {
      const list = (await t.api('GET', '/v1/uploads?limit=50', { key: tenant.key })).body.data as Array<{ filename: string; status: string }>;
      return list.find((u) => u.filename === 'canceled.png')?.status === 'canceled';
    }, 10_000, 'the session canceled on the server');
    await page.unroute(/\/files\//);
    assert.deepEqual(w.problems, []);
    await page.context().close();
  });
});

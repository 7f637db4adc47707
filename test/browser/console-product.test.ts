/**
 * The console as a product, in a real Chromium against a real Intake reached through a
 * slow uplink (a throttled relay that the page and the signed URLs both go through):
 * progress that moves with the bytes, an upload that survives a reload, admin creating a
 * namespace and a key on a phone; no CSP violation. How it looks: console-looks.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { consoleFixture, dropFiles, noHorizontalScroll, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { ADMIN_KEY, eventually, freePort } from '../helpers/intake.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { textFile } from '../sdk/fixtures.js';

declare const document: any;
declare const window: any;
declare const MutationObserver: any;
declare const sessionStorage: any;

const MiB = 1024 * 1024;
const SIZE = 30 * 1000 * 1000;

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

describe('web console as a product', () => {
  let f: ConsoleFixture;
  let proxy: TcpProxy;
  let thirty: string;
  let again: string;
  before(async () => {
    const port = await freePort();
    f = await consoleFixture(async (dir) => {
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
    await dropFiles(page, [thirty]);
    const row = page.locator('[data-file="thirty-megabytes.txt"]');
    await eventually(async () => /\/s · .* left/.test((await row.locator('.amount').textContent()) ?? ''), 20_000, 'speed and time left');
    await f.b.screenshot(page, 'console-uploading-1280-light');
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
    // A part the page before the reload was still sending is 409 to the resumed page until the
    // server sees that connection end (one writer per part); the SDK tries it again.
    assert.deepEqual(w.problems.filter((p) => !p.includes('status of 409 (Conflict)')), []);
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
});

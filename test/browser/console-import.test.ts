/**
 * Import from a URL in the web console (real Chromium, real Intake): the field beside the
 * drop zone hands the URL to Intake, which fetches the file itself; the row follows the
 * upload to "Imported" and the asset appears in the library with the source's SHA-256. A
 * source that answers 404 ends as a failed row with the reason. At 390 px nothing scrolls
 * sideways.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { consoleFixture, noHorizontalScroll, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { eventually } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';

describe('web console import from a URL', () => {
  let f: ConsoleFixture;
  let source: http.Server;
  let base: string;
  let image: Buffer;
  before(async () => {
    image = await png(160, 120);
    source = http.createServer((req, res) => {
      if (req.url === '/library/sunset.png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length }).end(image);
      res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
    f = await consoleFixture(undefined, { INTAKE_IMPORT_ALLOW_PRIVATE: 'true' });
  });
  after(async () => {
    await f?.close();
    source?.closeAllConnections();
    source?.close();
  });

  it('imports a URL into the folder chosen, shows it settle, and shows why another failed', async () => {
    const { b, t, tenant } = f;
    const w = await watch(b, { viewport: { width: 390, height: 844 } });
    const { page } = w;
    await signIn(page, t.url, tenant.key);
    await page.locator('[data-testid=namespace]').waitFor();
    await noHorizontalScroll(page);

    await page.fill('input[name=upload-folder]', 'imported');
    const form = page.locator('[data-testid=import-url]');
    await form.locator('input[name=import-url]').fill(`${base}/library/sunset.png`);
    await form.getByRole('button', { name: 'Import' }).click();
    const row = page.locator(`.import[data-url="${base}/library/sunset.png"]`);
    await eventually(async () => (await row.getAttribute('data-state')) === 'completed', 20_000, 'the import to complete');
    assert.match(await row.innerText(), /sunset\.png[\s\S]*Imported/);
    assert.equal(await form.locator('input[name=import-url]').inputValue(), '', 'the field is emptied for the next URL');
    await noHorizontalScroll(page);

    const assets = (await t.api('GET', '/v1/assets', { key: tenant.key })).body.data as Array<{ sha256: string; folder: string; filename: string }>;
    const imported = assets.find((a) => a.sha256 === sha256(image));
    assert.ok(imported, 'the asset holds the source file');
    assert.equal(imported.folder, 'imported');

    await form.locator('input[name=import-url]').fill(`${base}/missing.png`);
    await form.getByRole('button', { name: 'Import' }).click();
    const failed = page.locator(`.import[data-url="${base}/missing.png"]`);
    await eventually(async () => (await failed.getAttribute('data-state')) === 'failed', 20_000, 'the import to fail');
    assert.match(await failed.innerText(), /Failed: .+/);
    await b.screenshot(page, 'console-import-390');
    assert.deepEqual(w.problems, []);
  });
});

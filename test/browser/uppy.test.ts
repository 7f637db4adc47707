import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { png } from '../helpers/media.js';
import { assertUploadedAsset, useUppyExample } from '../helpers/uppy-example.js';

const MiB = 1024 * 1024;

describe('Uppy (@uppy/aws-s3) against Intake: the example app', () => {
  const example = useUppyExample();

  it('uploads a 6 MiB file in two parts and a small image; Intake holds both with their size and SHA-256; the key never reaches the page', async () => {
    const { intake, key, app, browser } = example();
    const big = Buffer.alloc(6 * MiB + 4321, 'Uppy sends this in parts through Intake.\n');
    const small = await png(40, 30);
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (r) => seen.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
    await page.goto(`${app.url}/s3.html`);
    await page.setInputFiles('#files', [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: big },
      { name: 'dot.png', mimeType: 'image/png', buffer: small },
    ]);
    const row = (name: string) => page.locator(`li[data-name="${name}"]`);
    for (const name of ['notes.txt', 'dot.png']) {
      await page.waitForSelector(`li[data-name="${name}"][data-status]`, { timeout: 30_000 });
      assert.equal(await row(name).getAttribute('data-status'), 'uploaded', await row(name).innerText());
    }
    await browser.screenshot(page, 'uppy-example-uploaded');

    for (const [name, bytes] of [['notes.txt', big], ['dot.png', small]] as const) {
      const asset = await assertUploadedAsset(intake, key, await row(name).getAttribute('data-asset-id'), name, bytes);
      const upload = await intake.api('GET', `/v1/uploads/${asset.upload_id}`, { key });
      assert.equal(upload.body.data.resumable, true, `${name} went through a resumable session`);
    }
    // Uppy sent the big file's two parts straight to Intake's signed part URLs.
    const partPuts = seen.filter((s) => s.startsWith(`PUT ${intake.url}/files/`));
    assert.equal(partPuts.length, 3, partPuts.join('\n'));
    assert.ok(seen.every((s) => !s.includes(key)), 'the API key never appears in what the page sends');
    assert.ok(!(await page.content()).includes(key));
  });
});

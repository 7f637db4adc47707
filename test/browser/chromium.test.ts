/** The browser the console and Uppy tests drive: it starts, renders a page from loopback and screenshots it. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';

describe('headless Chromium', () => {
  let b: TestBrowser;
  let server: http.Server;
  before(async () => {
    b = await launchBrowser();
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>t</title><button id="b" onclick="this.textContent=\'clicked\'">go</button>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await b?.close();
    server?.close();
  });

  it('loads a page from loopback, runs its script on a click, and writes a screenshot', async () => {
    const page = await b.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.click('#b');
    assert.equal(await page.textContent('#b'), 'clicked');
    const file = await b.screenshot(page, 'chromium-smoke');
    assert.ok(fs.statSync(file).size > 100);
  });
});

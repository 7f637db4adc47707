/**
 * The web console's test fixture: the console built as npm test builds it, a real Intake
 * (SQLite, local disk, its own worker) with a namespace, Debian's Chromium, and the page
 * helpers the console tests share (drop files, watch for errors and CSP violations).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContextOptions, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchBrowser, type TestBrowser } from './browser.js';
import { eventually, startIntake, type TestIntake } from './intake.js';

export interface ConsoleFixture {
  b: TestBrowser;
  t: TestIntake;
  /** A temp folder for the files the test drops. */
  dir: string;
  tenant: { namespaceId: string; key: string };
  close(): Promise<void>;
}

/** Everything a console test needs; `prepare` makes its files (in `dir`) while the browser and Intake start. */
export async function consoleFixture(prepare: (dir: string) => Promise<unknown> = async () => undefined, env: Record<string, string> = {}): Promise<ConsoleFixture> {
  // The console as npm test builds it (skipped when dist/console is newer than its sources).
  execFileSync(process.execPath, ['scripts/setup.mjs', '--console', '--no-install'], { stdio: 'inherit' });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-console-'));
  const [b, t] = await Promise.all([launchBrowser(), startIntake(env), prepare(dir)]);
  const tenant = await t.tenant();
  return {
    b,
    t,
    dir,
    tenant,
    async close() {
      await b.close();
      // A connection the test's own fetch opened but never sent a request on does not count as
      // idle for Node's server.close(), which would then wait for the 60 s socket timeout.
      t.intake.app.server.closeAllConnections();
      await t.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

// Page-side code (evaluate callbacks) runs in the browser; the project compiles without the DOM
// library, so the few browser globals those callbacks use are declared here, for this file only.
declare const document: any;
declare const window: any;
declare const DataTransfer: any;

/** What went wrong on a page: console errors, uncaught exceptions, CSP violations. */
export interface Watched {
  page: Page;
  problems: string[];
  requests: string[];
}

export async function watch(b: TestBrowser, options?: BrowserContextOptions): Promise<Watched> {
  const page = await b.newPage(options);
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
export async function dropFiles(page: Page, files: string[]): Promise<void> {
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
export async function noise(file: string, width: number, height: number): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 80 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.fill('#key', key);
  await page.click('button[type=submit]');
}

/** naturalWidth/naturalHeight of an image once it has loaded (0×0 if it failed). */
export async function naturalSize(page: Page, selector: string): Promise<{ width: number; height: number }> {
  const img = page.locator(selector);
  await img.waitFor();
  await eventually(() => img.evaluate((el: { complete: boolean }) => el.complete), 10_000, `${selector} to load`);
  return img.evaluate((el: { naturalWidth: number; naturalHeight: number }) => ({ width: el.naturalWidth, height: el.naturalHeight }));
}

/** A colourful picture (an SVG gradient rendered by sharp), so the grid looks like a library. */
export async function picture(file: string, hue: number): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="640"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="hsl(${hue},75%,60%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360},70%,35%)"/></linearGradient></defs>
    <rect width="960" height="640" fill="url(#g)"/><circle cx="${300 + hue}" cy="320" r="170" fill="hsla(${(hue + 180) % 360},80%,75%,0.55)"/></svg>`;
  await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toFile(file);
}

/** The page is no wider than the window (nothing scrolls sideways). */
export async function noHorizontalScroll(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  if (scroll > width) throw new Error(`the page is ${scroll} px wide in a ${width} px window`);
}


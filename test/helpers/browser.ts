/**
 * Debian's Chromium driven by playwright-core, for the tests of pages Intake serves. The
 * browser is installed by scripts/setup.mjs --browser (npm test); a missing one fails the
 * test loudly. Screenshots go to test-results/screenshots/ (git-ignored), named by the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.INTAKE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-results', 'screenshots');

export interface TestBrowser {
  browser: Browser;
  /** A page in a fresh context (its own storage); `options`: viewport, color scheme… */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Writes SCREENSHOTS/<name>.png (the whole page, or only the window with `fullPage: false`) and returns its path. */
  screenshot(page: Page, name: string, opts?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run npm test (it installs Debian's chromium), or apt-get install -y chromium`);
  // launch() gives the browser a fresh, throw-away profile. The machine's network is closed: without the background-networking flags Chromium keeps
  // opening connections that are refused.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser,
    newPage: async (options) => (await browser.newContext(options)).newPage(),
    async screenshot(page, name, opts = {}) {
      const file = path.join(SCREENSHOTS, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
      await page.screenshot({ path: file, fullPage: opts.fullPage ?? true });
      return file;
    },
    async close() {
      await browser.close();
    },
  };
}

/**
 * The Uppy example (examples/uppy) as a user runs it, for a describe(): an Intake with a
 * tenant, the page built by Vite, the example's app server holding the key, and Chromium.
 * Started in before(), stopped in after(); `get()` hands them to the tests.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { build } from 'vite';
import { startExampleServer } from '../../examples/uppy/server.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { startIntake, type TestIntake } from './intake.js';

export interface UppyExample {
  intake: TestIntake;
  key: string;
  app: Awaited<ReturnType<typeof startExampleServer>>;
  browser: TestBrowser;
}

export function useUppyExample(): () => UppyExample {
  let running: UppyExample | undefined;
  let intake: TestIntake | undefined;
  let app: UppyExample['app'] | undefined;
  let browser: TestBrowser | undefined;
  let outDir: string | undefined;
  before(async () => {
    intake = await startIntake();
    const { key } = await intake.tenant();
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-uppy-'));
    await build({ root: path.resolve('examples/uppy'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    app = await startExampleServer({ intakeUrl: intake.url, apiKey: key, staticDir: outDir });
    browser = await launchBrowser();
    running = { intake, key, app, browser };
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await intake?.close();
    if (outDir) await fs.rm(outDir, { recursive: true, force: true });
  });
  return () => running!;
}

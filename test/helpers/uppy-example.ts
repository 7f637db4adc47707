/**
 * The Uppy example (examples/uppy) as a user runs it, for a describe(): an Intake with a
 * tenant, the page built by Vite, the example's app server holding the key, and Chromium.
 * Started in before(), stopped in after(); `get()` hands them to the tests.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { build } from 'vite';
import { startExampleServer } from '../../examples/uppy/server.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { sha256 } from './media.js';
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

/** The asset behind a row of the page holds `bytes` under `name`, ready; returns the asset view. */
export async function assertUploadedAsset(intake: TestIntake, key: string, assetId: string | null, name: string, bytes: Buffer): Promise<any> {
  const asset = await intake.api('GET', `/v1/assets/${assetId}`, { key });
  assert.equal(asset.status, 200, name);
  assert.equal(asset.body.data.filename, name);
  assert.equal(asset.body.data.filesize, bytes.length);
  assert.equal(asset.body.data.sha256, sha256(bytes));
  assert.equal(asset.body.data.status, 'ready');
  return asset.body.data;
}

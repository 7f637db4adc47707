/**
 * The web console's transfer controls in a real Chromium against a real Intake: pause keeps
 * the session and resume sends the rest of it (the bytes to storage are held back by the
 * test so the pause lands mid-upload), cancel closes the session on the server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consoleFixture, dropFiles, noise, signIn, watch, type ConsoleFixture } from '../helpers/console-page.js';
import { eventually } from '../helpers/intake.js';
import { png } from '../helpers/media.js';

describe('web console transfers', () => {
  let f: ConsoleFixture;
  let big: string;
  let small: string;
  before(async () => {
    f = await consoleFixture(async (dir) => {
      big = path.join(dir, 'paused.png');
      small = path.join(dir, 'canceled.png');
      // Noise does not compress: two 8 MiB parts.
      await Promise.all([noise(big, 2048, 1536), png(64, 48).then((buf) => fs.writeFile(small, buf))]);
    });
  });
  after(() => f?.close());

  it('pauses and resumes an upload in parts on the same session, and cancels another on the server', async () => {
    const { b, t, tenant } = f;
    const w = await watch(b);
    const { page } = w;
    await signIn(page, t.url, tenant.key);
    await page.locator('[data-testid=namespace]').waitFor();
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

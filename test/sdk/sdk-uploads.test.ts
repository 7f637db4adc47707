import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createIntakeClient, intakeBackend, upload, uploadFile, type Progress } from '../../clients/sdk/src/node.js';
import { png, sha256 } from '../helpers/media.js';
import { MiB, sdkFixture, textFile, type SdkFixture } from './fixtures.js';

const fast = { retries: 4, minDelayMs: 10, maxDelayMs: 200 };

function assertProgress(events: Progress[], total: number): void {
  assert.ok(events.length > 0, 'progress was reported');
  for (let i = 1; i < events.length; i++) {
    const [was, now] = [events[i - 1]!, events[i]!];
    assert.ok(now.bytesUploaded >= was.bytesUploaded && now.bytesAcknowledged >= was.bytesAcknowledged, `progress went ${JSON.stringify(was)} → ${JSON.stringify(now)}`);
    assert.ok(now.bytesUploaded > was.bytesUploaded || now.bytesAcknowledged > was.bytesAcknowledged, 'each event tells something new');
  }
  assert.ok(events.every((e) => e.bytesTotal === total && e.bytesUploaded >= e.bytesAcknowledged));
  assert.equal(events.at(-1)!.bytesUploaded, total);
  assert.equal(events.at(-1)!.bytesAcknowledged, total);
}

describe('SDK uploads against a real Intake', () => {
  let fx: SdkFixture;
  before(async () => {
    fx = await sdkFixture();
  });
  after(() => fx.close());

  test('a browser-style Blob goes in one PUT, completes and reports progress ending at its size', async () => {
    const bytes = await png(32, 24);
    const events: Progress[] = [];
    const result = await upload(new Blob([bytes], { type: 'image/png' }), {
      backend: intakeBackend({ baseUrl: fx.proxy.url, apiKey: fx.key }),
      filename: 'dot.png',
      fields: { folder: 'root/sdk', title: 'Dot' },
      onProgress: (p) => events.push(p),
      retry: fast,
    });
    assert.equal(result.outcome, 'uploaded');
    if (result.outcome !== 'uploaded') return;
    assert.equal(result.asset?.status, 'ready');
    assert.equal(result.asset?.width, 32);
    assert.equal(result.asset?.folder, 'root/sdk');
    assert.equal(result.asset?.sha256, sha256(bytes));
    assert.deepEqual(fx.proxy.puts.map((p) => p.part), [0]);
    assertProgress(events, bytes.length);
  });

  test('an 11 MiB file goes in 5 MiB parts in parallel from range streams, joined to the same SHA-256', async () => {
    fx.proxy.puts.length = 0;
    const { file, sha256: hash } = await textFile(fx.dir, 'big.txt', 11 * MiB);
    const events: Progress[] = [];
    const result = await uploadFile(file, {
      backend: intakeBackend({ baseUrl: fx.proxy.url, apiKey: fx.key }),
      resumable: true,
      partSize: 5 * MiB,
      stateFile: path.join(fx.dir, 'state.json'),
      onProgress: (p) => events.push(p),
      retry: fast,
    });
    assert.equal(result.outcome, 'uploaded');
    if (result.outcome !== 'uploaded') return;
    assert.equal(result.upload?.resumable, true);
    assert.equal(result.asset?.sha256, hash);
    assert.equal(result.asset?.filesize, 11 * MiB);
    assert.deepEqual(fx.proxy.puts.map((p) => p.part).sort(), [1, 2, 3]);
    assertProgress(events, 11 * MiB);
    // Acknowledged is a sum of whole parts (5, 5 and 1 MiB): a part counts once its answer arrived.
    for (const e of events) assert.ok([0, 1, 5, 6, 10, 11].map((m) => m * MiB).includes(e.bytesAcknowledged), `${e.bytesAcknowledged}`);
    // Done: the state file no longer holds the session.
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(fx.dir, 'state.json'), 'utf8')), {});
  });

  test('the typed client reads back what the SDK uploaded', async () => {
    const client = createIntakeClient({ baseUrl: fx.intake.url, apiKey: fx.key });
    const page = await client.assets.list({ folder: 'root/sdk' });
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0]!.title, 'Dot');
    assert.equal(page.nextCursor, null);
    const uploads = await client.uploads.list({ status: 'completed' });
    assert.equal(uploads.items.length, 2);
  });
});

/**
 * Progress that moves with the bytes, through Node's socket: a 30 MB file over a slow
 * uplink (a throttled relay in front of Intake, which its signed URLs point at) reports
 * many growing values, never going back; a cancel tells what had been sent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { intakeBackend, memoryStateStore, uploadFile, UploadStoppedError, type Progress } from '../../clients/sdk/src/node.js';
import { freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { MiB, textFile } from './fixtures.js';

const SIZE = 30 * 1000 * 1000;

function assertMonotonic(events: Progress[]): void {
  for (let i = 1; i < events.length; i++) {
    const [was, now] = [events[i - 1]!, events[i]!];
    assert.ok(now.bytesUploaded >= was.bytesUploaded, `sent went back: ${was.bytesUploaded} → ${now.bytesUploaded}`);
    assert.ok(now.bytesAcknowledged >= was.bytesAcknowledged, `acknowledged went back: ${was.bytesAcknowledged} → ${now.bytesAcknowledged}`);
    assert.ok(now.bytesUploaded >= now.bytesAcknowledged);
  }
}

describe('SDK progress on a slow uplink (Node)', () => {
  let intake: TestIntake;
  let proxy: TcpProxy;
  let key: string;
  let dir: string;
  before(async () => {
    const port = await freePort();
    [intake, dir] = await Promise.all([startIntake({ INTAKE_PUBLIC_URL: `http://127.0.0.1:${port}` }), fs.mkdtemp(path.join(os.tmpdir(), 'intake-sdk-progress-'))]);
    proxy = new TcpProxy(port, { host: '127.0.0.1', port: Number(new URL(intake.url).port) }, { bytesPerSecond: 16 * MiB });
    await proxy.start();
    ({ key } = await intake.tenant());
  });
  after(async () => {
    await proxy?.stop();
    await intake?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a 30 MB file in parts reports at least 10 distinct growing values, ending at its size', async () => {
    const { file, sha256 } = await textFile(dir, 'thirty.txt', SIZE);
    const events: Progress[] = [];
    const result = await uploadFile(file, {
      backend: intakeBackend({ baseUrl: proxy.url, apiKey: key }),
      resumable: true,
      partSize: 8 * MiB,
      parallel: 2,
      stateStore: memoryStateStore(),
      onProgress: (p) => events.push(p),
    });
    assert.equal(result.outcome, 'uploaded');
    assert.equal(result.asset?.sha256, sha256);
    assertMonotonic(events);
    const distinct = new Set(events.map((e) => e.bytesUploaded));
    assert.ok(distinct.size >= 10, `${distinct.size} distinct values: ${[...distinct].join(', ')}`);
    // Values between part boundaries: the bar moved with the bytes, not a part at a time.
    assert.ok([...distinct].filter((n) => n % (8 * MiB) !== 0 && n !== SIZE).length >= 5, 'values inside parts');
    assert.equal(events.at(-1)!.bytesUploaded, SIZE);
    assert.equal(events.at(-1)!.bytesAcknowledged, SIZE);
  });

  test('a single PUT moves with the bytes too', async () => {
    const { file } = await textFile(dir, 'single.txt', 12 * MiB);
    const events: Progress[] = [];
    await uploadFile(file, { backend: intakeBackend({ baseUrl: proxy.url, apiKey: key }), resumable: false, stateStore: memoryStateStore(), onProgress: (p) => events.push(p) });
    assertMonotonic(events);
    assert.ok(new Set(events.map((e) => e.bytesUploaded)).size >= 5, `${events.length} events`);
  });

  test('a cancel mid-way tells the bytes sent, as the last progress showed', async () => {
    const { file } = await textFile(dir, 'canceled.txt', SIZE);
    const events: Progress[] = [];
    const cancel = new AbortController();
    const err = await uploadFile(file, {
      backend: intakeBackend({ baseUrl: proxy.url, apiKey: key }),
      resumable: true,
      partSize: 8 * MiB,
      stateStore: memoryStateStore(),
      signal: cancel.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.bytesUploaded >= 10 * MiB) cancel.abort();
      },
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof UploadStoppedError, String(err));
    assert.equal(err.reason, 'canceled');
    assertMonotonic(events);
    assert.equal(err.bytesSent, events.at(-1)!.bytesUploaded);
    assert.ok(err.bytesSent >= 10 * MiB && err.bytesSent < SIZE, `${err.bytesSent}`);
    const upload = await intake.api('GET', `/v1/uploads/${err.uploadId}`, { key });
    assert.equal(upload.body.data.status, 'canceled');
  });
});

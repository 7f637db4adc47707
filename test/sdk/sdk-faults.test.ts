import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileSource, intakeBackend, memoryStateStore, upload, UploadStoppedError, type Progress } from '../../clients/sdk/src/node.js';
import { eventually } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { MiB, sdkFixture, textFile, type SdkFixture } from './fixtures.js';

const fast = { retries: 4, minDelayMs: 10, maxDelayMs: 200 };

describe('SDK uploads when the network and the server misbehave', () => {
  let fx: SdkFixture;
  before(async () => {
    fx = await sdkFixture();
  });
  after(() => fx.close());
  beforeEach(() => {
    fx.proxy.puts.length = 0;
    fx.proxy.policy = () => 'pass';
  });

  const backend = () => intakeBackend({ baseUrl: fx.proxy.url, apiKey: fx.key });

  test('parts whose connection drops mid-body, or that get a 503 or a 403, are sent again and the upload completes', async () => {
    const { file, sha256: hash } = await textFile(fx.dir, 'flaky.txt', 11 * MiB);
    const faults = ['drop', 'fail-503', 'fail-403'] as const;
    fx.proxy.policy = (i) => faults[i] ?? 'pass';
    const events: Progress[] = [];
    const result = await upload(await fileSource(file), { backend: backend(), resumable: true, partSize: 5 * MiB, retry: fast, stateStore: memoryStateStore(), onProgress: (p) => events.push(p) });
    assert.ok(result.outcome === 'uploaded');
    assert.equal(result.asset?.sha256, hash);
    assert.deepEqual(fx.proxy.puts.slice(0, 3).map((p) => p.fault), ['drop', 'fail-503', 'fail-403']);
    assert.ok(fx.proxy.puts.length >= 6, 'each broken part was sent again');
    assert.deepEqual(fx.proxy.acknowledged().sort(), [1, 2, 3]);
    assert.equal(events.at(-1)?.bytesUploaded, 11 * MiB);
    assert.deepEqual(await fx.intake.tempFiles(), [], 'no half-received part left behind');
  });

  test('a simple PUT dropped mid-body is sent again', async () => {
    const { file, sha256: hash } = await textFile(fx.dir, 'simple.txt', 300 * 1024);
    fx.proxy.policy = (i) => (i === 0 ? 'drop' : 'pass');
    const result = await upload(await fileSource(file), { backend: backend(), retry: fast, stateStore: memoryStateStore() });
    assert.ok(result.outcome === 'uploaded');
    assert.equal(result.asset?.sha256, hash);
    assert.equal(fx.proxy.puts[0]?.fault, 'drop');
    assert.deepEqual(fx.proxy.acknowledged(), [0]);
  });

  test('aborting the signal cancels the session on the server and leaves nothing stored', async () => {
    const { file } = await textFile(fx.dir, 'abort.txt', 11 * MiB);
    const storedBefore = await fx.intake.storedFiles();
    fx.proxy.policy = (i) => (i === 0 ? 'pass' : 'stall');
    const controller = new AbortController();
    const store = memoryStateStore();
    const source = await fileSource(file);
    const running = upload(source, { backend: backend(), resumable: true, partSize: 5 * MiB, parallel: 2, retry: fast, stateStore: store, signal: controller.signal });
    await eventually(async () => fx.proxy.acknowledged().length === 1, 10_000, 'a part to arrive');
    controller.abort();
    const err = await running.then(() => assert.fail('upload resolved'), (e: unknown) => e);
    assert.ok(err instanceof UploadStoppedError);
    assert.equal(err.reason, 'canceled');
    assert.match(err.uploadId ?? '', /^upl_/);
    const status = await fx.intake.api('GET', `/v1/uploads/${err.uploadId}`, { key: fx.key });
    assert.equal(status.body.data.status, 'canceled');
    assert.equal(await store.get(source.fingerprint), undefined);
    assert.deepEqual(await fx.intake.storedFiles(), storedBefore, 'no part of the canceled session is stored');
    assert.deepEqual(await fx.intake.tempFiles(), []);
    const partsLeft = await fs.readdir(path.join(fx.intake.dataDir, 'storage', 'multipart'), { recursive: true }).catch(() => []);
    assert.deepEqual(partsLeft, [], 'no part of the canceled session is kept');
  });

  test('pausing keeps the session; the next upload() of the same file resumes it without resending acknowledged parts', async () => {
    const { file, sha256: hash } = await textFile(fx.dir, 'pause.txt', 11 * MiB);
    fx.proxy.policy = (i) => (i < 2 ? 'pass' : 'stall');
    const pause = new AbortController();
    const store = memoryStateStore();
    const first = upload(await fileSource(file), { backend: backend(), resumable: true, partSize: 5 * MiB, parallel: 3, retry: fast, stateStore: store, pauseSignal: pause.signal });
    await eventually(async () => fx.proxy.acknowledged().length === 2 && fx.proxy.puts.length === 3, 10_000, 'two parts to arrive');
    pause.abort();
    const err = await first.then(() => assert.fail('upload resolved'), (e: unknown) => e);
    assert.ok(err instanceof UploadStoppedError && err.reason === 'paused');
    const status = await fx.intake.api('GET', `/v1/uploads/${err.uploadId}`, { key: fx.key });
    assert.equal(status.body.data.status, 'uploading');

    const sentBefore = fx.proxy.acknowledged();
    fx.proxy.puts.length = 0;
    fx.proxy.policy = () => 'pass';
    const events: Progress[] = [];
    const result = await upload(await fileSource(file), { backend: backend(), resumable: true, partSize: 5 * MiB, retry: fast, stateStore: store, onProgress: (p) => events.push(p) });
    assert.equal(result.outcome, 'uploaded');
    if (result.outcome !== 'uploaded') return;
    assert.equal(result.resumed, true);
    assert.equal(result.uploadId, err.uploadId);
    assert.equal(result.asset?.sha256, hash);
    const resent = fx.proxy.puts.map((p) => p.part);
    assert.equal(resent.length, 1);
    assert.ok(!sentBefore.includes(resent[0]!), `part ${resent[0]} had been acknowledged already`);
    // Progress starts from what storage held, never goes back, ends at the size.
    const held = events[0]!.bytesUploaded;
    assert.ok(held >= 6 * MiB, `resumed at ${held}`);
    assert.equal(events.at(-1)?.bytesUploaded, 11 * MiB);
  });

  test('a precomputed SHA-256 of stored content answers a typed duplicate and sends nothing', async () => {
    const bytes = await png(40, 30);
    const blob = () => new Blob([bytes], { type: 'image/png' });
    const first = await upload(blob(), { backend: backend(), filename: 'a.png', sha256: true, retry: fast, stateStore: memoryStateStore() });
    assert.equal(first.outcome, 'uploaded');
    fx.proxy.puts.length = 0;
    const events: Progress[] = [];
    const again = await upload(blob(), { backend: backend(), filename: 'b.png', sha256: sha256(bytes).toUpperCase(), retry: fast, stateStore: memoryStateStore(), onProgress: (p) => events.push(p), waitForReady: true });
    assert.equal(again.outcome, 'duplicate');
    if (again.outcome !== 'duplicate' || first.outcome !== 'uploaded') return;
    assert.equal(again.assetId, first.assetId);
    assert.equal(again.duplicateOf, first.uploadId);
    assert.equal(again.asset?.status, 'ready');
    assert.deepEqual(fx.proxy.puts, [], 'no bytes sent');
    assert.deepEqual(events, [{ bytesUploaded: bytes.length, bytesAcknowledged: bytes.length, bytesTotal: bytes.length }]);
  });
});

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { appServerBackend, createUploadHandler, IntakeError, memoryStateStore, upload, UploadStoppedError, type CompletedUpload } from '../../clients/sdk/src/index.js';
import { eventually } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { MiB, sdkFixture, textFile, type SdkFixture } from './fixtures.js';

const fast = { retries: 3, minDelayMs: 10, maxDelayMs: 100 };

/** The app's own server: one POST route mounting createUploadHandler, users told apart by a header. */
async function appServer(fx: SdkFixture) {
  const owned = new Set<string>();
  const handler = createUploadHandler<{ user: string }>({
    baseUrl: fx.proxy.url,
    apiKey: fx.key,
    authorize(request, { user }) {
      if (!user) throw new IntakeError(401, { code: 'unauthorized', message: 'Sign in first.' });
      if (request.action === 'create') return { ...request, body: { ...request.body, folder: `root/users/${user}` } };
      if (request.action === 'get_asset' && !owned.has(`${user}/${request.asset_id}`)) throw new IntakeError(403, { code: 'forbidden', message: 'Not your asset.' });
      return request;
    },
    onResult(request, data, { user }) {
      if (request.action === 'complete') owned.add(`${user}/${(data as CompletedUpload).asset_id}`);
    },
  });
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const answer = await handler(JSON.parse(body || 'null'), { user: String(req.headers['x-user'] ?? '') });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/uploads`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('a browser-style upload through the app server (no key on the client)', () => {
  let fx: SdkFixture;
  let app: Awaited<ReturnType<typeof appServer>>;
  before(async () => {
    fx = await sdkFixture();
    app = await appServer(fx);
  });
  after(async () => {
    await app.close();
    await fx.close();
  });

  const backend = (user: string) => appServerBackend({ endpoint: app.endpoint, headers: { 'x-user': user } });

  test('the app forces the folder, and the asset is read back through it once ready', async () => {
    const result = await upload(new Blob([await png(20, 20)], { type: 'image/png' }), {
      backend: backend('ann'), filename: 'me.png', fields: { folder: 'root/elsewhere' }, waitForReady: { timeoutMs: 10_000 }, retry: fast, stateStore: memoryStateStore(),
    });
    assert.equal(result.outcome, 'uploaded');
    assert.equal(result.outcome === 'uploaded' && result.asset?.folder, 'root/users/ann');
    assert.equal(result.outcome === 'uploaded' && result.asset?.status, 'ready');
  });

  test("the app's refusals and Intake's errors arrive as typed IntakeErrors", async () => {
    const other = await upload(new Blob([await png(21, 21)], { type: 'image/png' }), { backend: backend('bob'), filename: 'bob.png', retry: fast, stateStore: memoryStateStore() });
    assert.ok(other.outcome === 'uploaded' && other.assetId);
    await assert.rejects(backend('ann').getAsset(other.assetId), (err: unknown) => err instanceof IntakeError && err.status === 403 && err.code === 'forbidden');
    await assert.rejects(backend('').getUpload(other.uploadId), (err: unknown) => err instanceof IntakeError && err.status === 401);
    await assert.rejects(backend('ann').getUpload('not an id'), (err: unknown) => err instanceof IntakeError && err.status === 400 && err.details.field === 'upload_id');
    await assert.rejects(
      upload(new Blob(['MZ'], { type: 'application/x-msdownload' }), { backend: backend('ann'), filename: 'a.exe', retry: fast, stateStore: memoryStateStore() }),
      (err: unknown) => err instanceof IntakeError && err.status === 415 && err.code === 'unsupported_media_type',
    );
  });

  test('a resumable upload paused and resumed lists and signs its parts through the app', async () => {
    const { bytes, sha256 } = await textFile(fx.dir, 'big.txt', 11 * MiB);
    const blob = new File([bytes], 'big.txt', { type: 'text/plain', lastModified: 1 });
    const store = memoryStateStore();
    fx.proxy.puts.length = 0;
    fx.proxy.policy = (i) => (i === 0 ? 'pass' : 'stall');
    const pause = new AbortController();
    const first = upload(blob, { backend: backend('ann'), resumable: true, partSize: 5 * MiB, retry: fast, stateStore: store, pauseSignal: pause.signal });
    await eventually(async () => fx.proxy.acknowledged().length === 1, 10_000, 'one part stored');
    pause.abort();
    await assert.rejects(first, (err: unknown) => err instanceof UploadStoppedError && err.reason === 'paused');
    fx.proxy.policy = () => 'pass';
    const done = await upload(blob, { backend: backend('ann'), resumable: true, partSize: 5 * MiB, retry: fast, stateStore: store });
    assert.ok(done.outcome === 'uploaded' && done.resumed);
    assert.equal(done.asset?.sha256, sha256);
    assert.equal(done.asset?.folder, 'root/users/ann');
    assert.equal(fx.proxy.acknowledged().length, 3, 'each part stored once');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createIntakeClient, fileSource, intakeBackend, IntakeError, IntakeNetworkError, memoryStateStore, upload } from '../../clients/sdk/src/node.js';
import { freePort } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { sdkFixture, textFile, type SdkFixture } from './fixtures.js';

const fast = { retries: 2, minDelayMs: 10, maxDelayMs: 50 };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => assert.fail('expected a rejection'), (err: unknown) => err);
}

describe('SDK errors carry the API codes', () => {
  let fx: SdkFixture;
  before(async () => {
    fx = await sdkFixture();
  });
  after(() => fx.close());

  const opts = (apiKey = fx.key) => ({ backend: intakeBackend({ baseUrl: fx.proxy.url, apiKey }), retry: fast, stateStore: memoryStateStore() });

  test('a bad key is a 401 unauthorized IntakeError with the request id', async () => {
    const err = await rejection(upload(new Blob([await png()], { type: 'image/png' }), { ...opts('sk_not_a_key'), filename: 'a.png' }));
    assert.ok(err instanceof IntakeError);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'unauthorized');
    assert.match(err.requestId ?? '', /^req_/);
  });

  test('a type not allowed is 415 at create; bytes that are not what was declared are 415 at complete, with details.reason', async () => {
    const exe = await rejection(upload(new Blob(['MZ'], { type: 'application/x-msdownload' }), { ...opts(), filename: 'a.exe' }));
    assert.ok(exe instanceof IntakeError);
    assert.equal(exe.status, 415);
    assert.equal(exe.code, 'unsupported_media_type');
    const { file } = await textFile(fx.dir, 'not-a-png.txt', 2048);
    const store = memoryStateStore();
    const source = await fileSource(file, { name: 'fake.png', type: 'image/png' });
    const lie = await rejection(upload(source, { ...opts(), stateStore: store }));
    assert.ok(lie instanceof IntakeError);
    assert.equal(lie.status, 415);
    assert.equal(lie.code, 'unsupported_media_type');
    assert.equal(typeof lie.reason, 'string');
    assert.equal(await store.get(source.fingerprint), undefined, 'a failed session is not kept to resume');
  });

  test('a file over the namespace limit is 413 file_too_large before a byte is sent', async () => {
    const small = await fx.intake.tenant({ limits: { image: 100 } });
    fx.proxy.puts.length = 0;
    const err = await rejection(upload(new Blob([await png()], { type: 'image/png' }), { ...opts(small.key), filename: 'a.png' }));
    assert.ok(err instanceof IntakeError);
    assert.equal(err.status, 413);
    assert.equal(err.code, 'file_too_large');
    assert.deepEqual(fx.proxy.puts, []);
  });

  test('no server is an IntakeNetworkError, not an IntakeError', async () => {
    const port = await freePort();
    const err = await rejection(upload(new Blob([await png()], { type: 'image/png' }), { backend: intakeBackend({ baseUrl: `http://127.0.0.1:${port}`, apiKey: fx.key }), filename: 'a.png', retry: fast, stateStore: memoryStateStore() }));
    assert.ok(err instanceof IntakeNetworkError, String(err));
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('the typed client throws the same errors: 404 not_found with a field-free details, 409 with details.status', async () => {
    const client = createIntakeClient({ baseUrl: fx.intake.url, apiKey: fx.key });
    const missing = await rejection(client.assets.get('med_00000000000000000000'));
    assert.ok(missing instanceof IntakeError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'not_found');
    const done = await upload(new Blob([await png(10, 10)], { type: 'image/png' }), { ...opts(), filename: 'done.png' });
    assert.equal(done.outcome, 'uploaded');
    if (done.outcome !== 'uploaded') return;
    const conflict = await rejection(client.uploads.cancel(done.uploadId));
    assert.ok(conflict instanceof IntakeError);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.code, 'conflict');
    assert.equal(conflict.details.status, 'completed');
  });
});

/**
 * Slow and greedy clients against the real server: bodies and downloads slower than the
 * minimum rate are cut off, uploads past the global cap get a clean 503, a session takes
 * one writer at a time (409 + Retry-After), and a second process starting on the same
 * data folder leaves uploads in progress alone. Each ends with nothing left behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createIntake } from '../../src/main/container.js';
import { ADMIN_KEY, eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { partFiles } from '../helpers/resumable-client.js';
import { spawnServe } from '../helpers/serve-process.js';
import { assertError, createSession, put, snapshot } from './error-helpers.js';
import { multipart } from './raw-http.js';
import { heldPut, stalledGet, trickle } from './slow-client.js';

/** Open connections of the API server. */
const connections = (t: TestIntake) =>
  new Promise<number>((resolve, reject) => t.intake.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe('minimum transfer rate', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    // 300 bytes per 300 ms window at least; the tricklers below send one byte per 50 ms.
    t = await startIntake({ INTAKE_TRANSFER_WINDOW_MS: '300', INTAKE_MIN_TRANSFER_RATE: '1000' });
    ({ key } = await t.tenant({ quota_bytes: 100 * 1024 * 1024 }));
  });
  after(() => t.close());

  it('a PUT trickling one byte at a time is cut off; its temp file and slot go, the session is untouched', async () => {
    const s = await createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: 1000 });
    const before = await snapshot(t, key);
    const slow = trickle(s.upload_url, 'PUT', { 'Content-Type': 'text/plain' }, 1000, 50, Buffer.from('start'));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the PUT to begin writing');
    await Promise.race([slow.closed, eventually(async () => false, 10_000, 'the server to cut the trickler off')]);
    assert.ok(slow.sent() < 1000, 'the whole body was sent');
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp file to go');
    const row = await t.intake.deps.store.uploads.findById(s.upload_id);
    assert.equal(row?.status, 'pending');
    assert.equal(row?.received_size, null);
    assert.deepEqual(await snapshot(t, key), before);
    // The session still takes a proper PUT.
    const ok = await put(s.upload_url, Buffer.alloc(1000, 'y'), 'text/plain');
    assert.equal(ok.status, 200, await ok.text());
  });

  it('a resumable part trickling one byte at a time is cut off; no part is kept, the part can be sent again', async () => {
    const s = await createSession(t, key, { filename: 'p.txt', content_type: 'text/plain', file_size: 1000, resumable: true });
    const p1 = s.parts.urls[0];
    const before = await snapshot(t, key);
    const slow = trickle(p1.url, 'PUT', {}, 1000, 50, Buffer.from('start'));
    await eventually(async () => (await partFiles(t)).some((f) => f.includes('tmp-')), 5000, 'the part to begin writing');
    await Promise.race([slow.closed, eventually(async () => false, 10_000, 'the server to cut the trickler off')]);
    assert.ok(slow.sent() < 1000, 'the whole part was sent');
    await eventually(async () => !(await partFiles(t)).some((f) => f.includes('tmp-')), 5000, 'the part temp file to go');
    assert.deepEqual((await t.api('GET', `/v1/uploads/${s.upload_id}/parts`, { key })).body.data, []);
    assert.deepEqual(await snapshot(t, key), before);
    const ok = await put(p1.url, Buffer.alloc(1000, 'y'), 'text/plain');
    assert.equal(ok.status, 200, await ok.text());
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
    assert.deepEqual(await partFiles(t), []);
  });

  it('a form upload trickling its file is cut off and leaves no row and no bytes', async () => {
    const before = await snapshot(t, key);
    const { body, contentType } = multipart([{ name: 'file', filename: 'a.txt', type: 'text/plain', data: Buffer.alloc(10) }], { closed: false });
    const head = body.subarray(0, body.length - 10);
    const slow = trickle(`${t.url}/v1/uploads`, 'POST', { 'Content-Type': contentType, Authorization: `Bearer ${key}` }, head.length + 5000, 50, head);
    await Promise.race([slow.closed, eventually(async () => false, 10_000, 'the server to cut the trickler off')]);
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp file to go');
    assert.deepEqual(await snapshot(t, key), before);
  });

  it('a download whose reader stops reading is cut off, and its connection closed', async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    const s = await createSession(t, key, { filename: 'big.bin', content_type: 'application/zip', file_size: bytes.length });
    assert.equal((await put(s.upload_url, bytes, 'application/zip')).status, 200);
    const url = await t.intake.deps.storage.presignGet(s.key, {
      expiresAt: new Date(Date.now() + 60_000),
      contentType: 'application/zip',
      disposition: 'attachment',
      filename: 'big.bin',
    });
    const idle = await connections(t);
    const reader = stalledGet(url);
    await eventually(async () => reader.received() > 0, 5000, 'the download to start');
    await eventually(async () => (await connections(t)) <= idle, 10_000, 'the server to drop the stalled reader');
    // Reading again finds the connection gone before the object was whole.
    let total = reader.received();
    reader.socket.on('data', (c: Buffer) => (total += c.length));
    reader.socket.resume();
    await Promise.race([reader.closed, eventually(async () => false, 10_000, 'the client to see the close')]);
    assert.ok(total < bytes.length, `all ${total} bytes arrived`);
  });
});

describe('upload admission', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({ INTAKE_MAX_CONCURRENT_UPLOADS: '2' });
    ({ key } = await t.tenant({ quota_bytes: 10 * 1024 * 1024 }));
  });
  after(() => t.close());

  const session = () => createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: 2000 });

  it('past INTAKE_MAX_CONCURRENT_UPLOADS a PUT is 503 with Retry-After before a byte is stored', async () => {
    const [a, b, c] = [await session(), await session(), await session()];
    const held = [heldPut(a.upload_url, 'text/plain', 2000), heldPut(b.upload_url, 'text/plain', 2000)];
    held.forEach((h) => h.write(Buffer.alloc(100, 'a')));
    await eventually(async () => (await t.tempFiles()).length === 2, 5000, 'both PUTs to be writing');
    const before = await snapshot(t, key);
    const third = await put(c.upload_url, Buffer.alloc(2000, 'c'), 'text/plain');
    const res = assertError({ status: third.status, headers: third.headers, body: (await third.json()) as any }, 503, 'unavailable');
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(res.body.error!.details.reason, 'busy');
    assert.deepEqual(await snapshot(t, key), before);
    const answers = await Promise.all(held.map((h) => h.finish(Buffer.alloc(1900, 'b'))));
    assert.deepEqual(answers.map((x) => x.status), [200, 200]);
    // The slots are free again.
    assert.equal((await put(c.upload_url, Buffer.alloc(2000, 'c'), 'text/plain')).status, 200);
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('form uploads and resumable parts count against the same cap: 503 busy while two PUTs hold the slots, nothing kept', async () => {
    const [a, b] = [await session(), await session()];
    const resumable = await createSession(t, key, { filename: 'r.txt', content_type: 'text/plain', file_size: 2000, resumable: true });
    const held = [heldPut(a.upload_url, 'text/plain', 2000), heldPut(b.upload_url, 'text/plain', 2000)];
    held.forEach((h) => h.write(Buffer.alloc(100, 'a')));
    await eventually(async () => (await t.tempFiles()).length === 2, 5000, 'both PUTs to be writing');
    const before = await snapshot(t, key);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('hello\n')], { type: 'text/plain' }), 'f.txt');
    const formRes = assertError(await t.api('POST', '/v1/uploads', { key, body: form }), 503, 'unavailable');
    assert.equal(formRes.body.error!.details.reason, 'busy');
    assert.equal(formRes.headers.get('retry-after'), '5');
    const part = await put(resumable.parts.urls[0].url, Buffer.alloc(2000, 'p'), 'text/plain');
    const partRes = assertError({ status: part.status, headers: part.headers, body: (await part.json()) as any }, 503, 'unavailable');
    assert.equal(partRes.body.error!.details.reason, 'busy');
    assert.deepEqual((await partFiles(t)).filter((f) => /tmp-|part-\d+$/.test(f)), [], 'a part byte was written');
    assert.deepEqual(await snapshot(t, key), before);
    assert.deepEqual((await Promise.all(held.map((h) => h.finish(Buffer.alloc(1900, 'b'))))).map((x) => x.status), [200, 200]);
    for (const s of [a, b, resumable]) assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('a second PUT to a session already receiving bytes is 409 upload_in_progress with Retry-After; the first completes', async () => {
    const s = await session();
    const first = heldPut(s.upload_url, 'text/plain', 2000);
    first.write(Buffer.alloc(500, 'a'));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the first PUT to be writing');
    const second = await put(s.upload_url, Buffer.alloc(2000, 'z'), 'text/plain');
    const res = assertError({ status: second.status, headers: second.headers, body: (await second.json()) as any }, 409, 'conflict');
    assert.equal(res.body.error!.details.reason, 'upload_in_progress');
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal((await t.tempFiles()).length, 1, 'the refused PUT wrote a temp file');
    const done = await first.finish(Buffer.alloc(1500, 'a'));
    assert.equal(done.status, 200);
    const complete = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.deepEqual(await t.tempFiles(), []);
  });
});

describe('a second process on the same data folder', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake();
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('starting (as any CLI command does) leaves an upload in progress alone', async () => {
    const s = await createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: 3000 });
    const held = heldPut(s.upload_url, 'text/plain', 3000);
    held.write(Buffer.alloc(1000, 'a'));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the PUT to be writing');
    const other = await createIntake(loadConfig({ INTAKE_DATA_DIR: t.dataDir, INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_LOG_LEVEL: 'silent' }), { logger: false });
    await other.close();
    assert.equal((await t.tempFiles()).length, 1, 'the second process removed a live temp file');
    const done = await held.finish(Buffer.alloc(2000, 'a'));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key })).status, 200);
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('a second `intake serve` that fails on the taken port leaves an upload in progress alone', async () => {
    const s = await createSession(t, key, { filename: 'b.txt', content_type: 'text/plain', file_size: 3000 });
    const held = heldPut(s.upload_url, 'text/plain', 3000);
    held.write(Buffer.alloc(1000, 'b'));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the PUT to be writing');
    await assert.rejects(spawnServe({ INTAKE_DATA_DIR: t.dataDir, INTAKE_PORT: new URL(t.url).port }), /already in use/);
    assert.equal((await t.tempFiles()).length, 1, 'the failed serve removed a live temp file');
    const done = await held.finish(Buffer.alloc(2000, 'b'));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key })).status, 200);
    assert.deepEqual(await t.tempFiles(), []);
  });
});

/**
 * Races and overruns on the byte path, repeated often enough to fail reliably without the
 * fixes: parallel PUTs to one URL (never more than one temp file, never a 500), a failing
 * PUT racing a good one, and a chunked form upload into a nearly full namespace (cut off
 * at what the quota can still take, not after the whole body reached the disk).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { createSession, put, snapshot } from './error-helpers.js';
import { heldPut } from './slow-client.js';

/** A PUT with no Content-Length (chunked), answered however the server likes. */
function chunkedPut(url: string, contentType: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // The server may hang up on a body it refused mid-way: the answer it sent counts, if any.
    req.on('error', (err) => reject(err));
    for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
    req.end();
  });
}

describe('parallel PUTs to one URL', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake();
    ({ key } = await t.tenant({ quota_bytes: 3 * 1024 * 1024 }));
  });
  after(() => t.close());

  it('ten PUTs at once hold one temp file, not ten: the others are 409 until it is done', async () => {
    const size = 2 * 1024 * 1024;
    const s = await createSession(t, key, { filename: 'a.bin', content_type: 'application/zip', file_size: size });
    const held = Array.from({ length: 10 }, () => heldPut(s.upload_url, 'application/zip', size));
    held.forEach((h) => h.write(Buffer.alloc(64 * 1024, 1)));
    const answers: Array<number | 'sending'> = held.map(() => 'sending');
    held.forEach((h, i) => void h.answer.then((r) => (answers[i] = r.status), () => undefined));
    // Nine answer at once (409) without waiting for their bodies; one is still sending.
    await eventually(async () => answers.filter((x) => x !== 'sending').length >= 9, 5000, 'nine answers');
    const statuses = [...answers];
    assert.deepEqual(statuses.filter((x) => x === 409).length, 9, JSON.stringify(statuses));
    assert.ok((await t.tempFiles()).length <= 1, 'more than one temp file for one session');
    const writer = held[statuses.indexOf('sending')]!;
    assert.equal((await writer.finish(Buffer.alloc(size - 64 * 1024, 1))).status, 200);
    held.forEach((h) => h.abort());
    assert.deepEqual(await t.tempFiles(), []);
    const usage = await t.api('GET', '/v1/usage', { key });
    assert.equal(usage.body.data.reserved_bytes, size);
  });

  it('a failing PUT racing a good one to the same URL is never a 500 (40 rounds)', async () => {
    const size = 64 * 1024;
    const good = Buffer.alloc(size, 7);
    const tooBig = Buffer.alloc(size * 2, 8);
    const seen = new Map<string, number>();
    for (let round = 0; round < 40; round++) {
      const s = await createSession(t, key, { filename: `r${round}.bin`, content_type: 'application/zip', file_size: size });
      const [a, b] = await Promise.all([
        put(s.upload_url, good, 'application/zip').then((r) => r.status),
        chunkedPut(s.upload_url, 'application/zip', tooBig).catch(() => 'reset'),
      ]);
      const pair = `${a}/${b}`;
      seen.set(pair, (seen.get(pair) ?? 0) + 1);
      assert.ok([200, 409].includes(a), `the good PUT answered ${a}`);
      assert.ok([413, 409, 'reset'].includes(b), `the failing PUT answered ${b}`);
      assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
    }
    assert.ok((seen.get('200/413') ?? 0) + (seen.get('200/409') ?? 0) + (seen.get('200/reset') ?? 0) > 0, JSON.stringify([...seen]));
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'temp files to go');
    const now = await snapshot(t, key);
    assert.equal(now.usage.reserved_bytes, 2 * 1024 * 1024, 'a canceled session kept its reservation');
  });

  it('good and failing PUTs to many sessions of one namespace at once: the good ones all land (folders pruned under them are remade)', async () => {
    const size = 32 * 1024;
    for (let round = 0; round < 10; round++) {
      const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => createSession(t, key, { filename: `m${round}-${i}.bin`, content_type: 'application/zip', file_size: size })));
      const answers = await Promise.all(
        sessions.map((s, i) => (i % 2 === 0 ? put(s.upload_url, Buffer.alloc(size, 1), 'application/zip').then((r) => r.status) : chunkedPut(s.upload_url, 'application/zip', Buffer.alloc(size * 3, 2)).catch(() => 413))),
      );
      assert.deepEqual(answers, [200, 413, 200, 413, 200, 413]);
      for (const s of sessions) await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key });
    }
    assert.deepEqual(await t.tempFiles(), []);
  });
});

describe('a chunked form upload into a nearly full namespace', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake();
    ({ key } = await t.tenant({ quota_bytes: 1024 * 1024 }));
  });
  after(() => t.close());

  it('is refused (403 quota_exceeded) once it passes what the quota can take, long before the whole body is on disk', async () => {
    const before = await snapshot(t, key);
    const boundary = 'intake-race-boundary';
    const req = http.request(`${t.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
    });
    let sent = 0;
    let answered = false;
    // The server answers and closes without reading the rest: a client still writing may see
    // the reset (EPIPE, ECONNRESET) before it reads the answer. Either way the server stopped early.
    const answer = new Promise<{ status: number; body: any } | { reset: string }>((resolve) => {
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (answered) return;
        answered = true;
        resolve({ reset: err.code ?? err.message });
      });
    });
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    // Up to 60 MB, as fast as the server takes it, until it answers.
    while (!answered && sent < 60 * 1024 * 1024 && !req.destroyed) {
      if (!req.write(chunk)) await new Promise((r) => setTimeout(r, 5));
      sent += chunk.length;
      if (sent % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
    }
    const res = await answer;
    req.destroy();
    if ('reset' in res) assert.ok(['EPIPE', 'ECONNRESET'].includes(res.reset), `the connection failed with ${res.reset}`);
    else {
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'quota_exceeded');
    }
    assert.ok(sent < 20 * 1024 * 1024, `the server read ${sent} bytes before refusing`);
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp file to go');
    assert.deepEqual(await snapshot(t, key), before);
  });
});

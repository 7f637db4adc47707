/**
 * The signed upload URL (local-disk mode, served by Intake): bound to its key, method,
 * content type, expiry, maximum size and session. Anything else is refused with the
 * contract's code and leaves no bytes, in storage or in temp.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { eventually, useIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assertError, assertUnchanged, createSession, manualStream, parsed, put, snapshot } from './error-helpers.js';

const t = useIntake();
let bytes: Buffer;

before(async () => {
  bytes = await png(64, 48);
});

const session = (extra: Record<string, unknown> = {}) =>
  createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: bytes.length, ...extra });

/** Sends `send`, expects `status`/`code`, and proves storage, temp, sessions and usage are untouched. */
async function refusedPut(send: () => Promise<Response>, status: number, code: string) {
  const before = await snapshot(t, t.key);
  const res = assertError(await parsed(await send()), status, code);
  await assertUnchanged(t, t.key, before, `after a refused PUT (${status})`);
  return res;
}

/** The session still takes the right bytes afterwards: the refusal did not poison it. */
async function stillUsable(s: any) {
  assert.equal((await put(s.upload_url, bytes, 'image/png')).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: t.key });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.data.asset.width, 64);
}

function tamper(url: string, edit: (u: URL) => void): string {
  const u = new URL(url);
  edit(u);
  return u.toString();
}

describe('signed PUT: method and content type', () => {
  it('GET or a multipart POST on a PUT URL is 403 forbidden; DELETE is 404; the session is unharmed', async () => {
    const s = await session();
    await refusedPut(() => fetch(s.upload_url), 403, 'forbidden');
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'p.png');
    await refusedPut(() => fetch(s.upload_url, { method: 'POST', body: form }), 403, 'forbidden');
    await refusedPut(() => fetch(s.upload_url, { method: 'DELETE' }), 404, 'not_found');
    await stillUsable(s);
  });

  it('a raw (non-multipart) POST on a PUT URL is 400 invalid_request', async () => {
    const s = await session();
    await refusedPut(() => fetch(s.upload_url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes }), 400, 'invalid_request');
  });

  it('a Content-Type other than the signed one, or none, is 403 forbidden', async () => {
    const s = await session();
    for (const ct of ['image/jpeg', 'application/octet-stream', 'text/plain', 'image/png-x']) {
      await refusedPut(() => put(s.upload_url, bytes, ct), 403, 'forbidden');
    }
    await refusedPut(() => fetch(s.upload_url, { method: 'PUT', body: bytes }), 403, 'forbidden');
    await stillUsable(s);
  });
});

describe('signed PUT: tampered URLs are 403 forbidden', () => {
  it('a changed signature, max, expires, upload or key path is refused and stores nothing', async () => {
    const s = await session();
    const other = await session();
    const flip = (sig: string) => (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const variants: Record<string, string> = {
      signature: tamper(s.upload_url, (u) => u.searchParams.set('sig', flip(u.searchParams.get('sig')!))),
      'no signature': tamper(s.upload_url, (u) => u.searchParams.delete('sig')),
      max: tamper(s.upload_url, (u) => u.searchParams.set('max', String(10 * bytes.length))),
      'max missing': tamper(s.upload_url, (u) => u.searchParams.delete('max')),
      expires: tamper(s.upload_url, (u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 86400))),
      'upload (another session)': tamper(s.upload_url, (u) => u.searchParams.set('upload', other.upload_id)),
      'key path (another session)': tamper(s.upload_url, (u) => (u.pathname = new URL(other.upload_url).pathname)),
      'key path (other name)': tamper(s.upload_url, (u) => (u.pathname = u.pathname.replace(/original$/, 'thumbnail'))),
      "other session's signature": tamper(s.upload_url, (u) => u.searchParams.set('sig', new URL(other.upload_url).searchParams.get('sig')!)),
    };
    for (const [what, url] of Object.entries(variants)) {
      const res = await refusedPut(() => put(url, bytes, 'image/png'), 403, 'forbidden');
      assert.ok(res.body.error, `tampered ${what}`);
    }
    await stillUsable(s);
    const otherState = await t.api('GET', `/v1/uploads/${other.upload_id}`, { key: t.key });
    assert.equal(otherState.body.data.status, 'pending');
  });
});

describe('signed PUT: expiry', () => {
  it('a PUT after the session expired is 410 expired; the session reads expired and gives its reservation back', async () => {
    const s = await session({ expires_in: 60, alias: 'expiring-put' });
    const reserved = (await snapshot(t, t.key)).usage.reserved_bytes;
    t.clock.advance(120);
    try {
      const stored = await t.storedFiles();
      assertError(await parsed(await put(s.upload_url, bytes, 'image/png')), 410, 'expired');
      assert.deepEqual(await t.storedFiles(), stored);
      assert.deepEqual(await t.tempFiles(), []);
      const got = await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: t.key });
      assert.equal(got.body.data.status, 'expired');
      assert.equal((await snapshot(t, t.key)).usage.reserved_bytes, reserved - bytes.length);
      assertError(await t.api('GET', `/v1/assets/${s.asset_id}`, { key: t.key }), 404, 'not_found');
    } finally {
      t.clock.advance(-120);
    }
  });

  it('a URL whose own expiry has passed is 410 expired', async () => {
    t.clock.advance(-7200); // sign in the past: the URL's `expires` is already behind real time
    const s = await session({ expires_in: 60 });
    t.clock.advance(7200);
    await refusedPut(() => put(s.upload_url, bytes, 'image/png'), 410, 'expired');
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: t.key })).body.data.status, 'expired');
  });
});

describe('signed PUT: more bytes than signed for', () => {
  it('an honest Content-Length over the limit is 413 before the body is read', async () => {
    const s = await session();
    const before = await snapshot(t, t.key);
    // Declare 10 MiB but send only 1 KB and never finish: only an answer given before
    // reading the body can arrive.
    const body = manualStream();
    body.push(new Uint8Array(1024));
    const res = await fetch(s.upload_url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png', 'content-length': String(10 * 1024 * 1024) },
      body: body.body,
      duplex: 'half',
      signal: AbortSignal.timeout(20_000),
    } as RequestInit);
    const answer = assertError(await parsed(res), 413, 'file_too_large');
    assert.equal(answer.body.error!.details.max_size, bytes.length);
    await assertUnchanged(t, t.key, before);
    await stillUsable(s);
  });

  it('an honest, complete oversized body is 413 and stores nothing', async () => {
    const s = await session();
    await refusedPut(() => put(s.upload_url, Buffer.alloc(2 * 1024 * 1024, 1), 'image/png'), 413, 'file_too_large');
    await refusedPut(() => put(s.upload_url, Buffer.concat([bytes, Buffer.from([0])]), 'image/png'), 413, 'file_too_large');
    await stillUsable(s);
  });

  it('a chunked body (no Content-Length) is stopped mid-stream with 413 and leaves nothing in storage or temp', async () => {
    const s = await session();
    const before = await snapshot(t, t.key);
    const total = 800; // 50 MiB offered, 64 KiB at a time
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++pulled > total) c.close();
        else c.enqueue(chunk);
      },
    });
    const res = await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body, duplex: 'half' } as RequestInit);
    assertError(await parsed(res), 413, 'file_too_large');
    assert.ok(pulled < total, `the server read the whole body (${pulled} chunks) before refusing it`);
    await assertUnchanged(t, t.key, before);
    await stillUsable(s);
  });
});

describe('signed PUT: closed sessions', () => {
  it('a PUT after the session was canceled is 409 conflict with details.status', async () => {
    const s = await session();
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key })).status, 200);
    const res = await refusedPut(() => put(s.upload_url, bytes, 'image/png'), 409, 'conflict');
    assert.equal(res.body.error!.details.status, 'canceled');
  });

  it('a PUT after complete failed is 409 conflict, and the failed session stays empty', async () => {
    const s = await session();
    // Bytes that fail verification (too few); a complete before any bytes would keep the session open (no_bytes_yet).
    assert.equal((await put(s.upload_url, bytes.subarray(0, 100), 'image/png')).status, 200);
    assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: t.key }), 422, 'verification_failed');
    const res = await refusedPut(() => put(s.upload_url, bytes, 'image/png'), 409, 'conflict');
    assert.equal(res.body.error!.details.status, 'failed');
  });

  it('bytes still arriving when the session is canceled are refused (409) and discarded', async () => {
    const s = await session();
    const before = await snapshot(t, t.key);
    const body = manualStream();
    body.push(bytes.subarray(0, 100));
    const sending = fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: body.body, duplex: 'half' } as RequestInit);
    await eventually(async () => (await t.tempFiles()).length > 0, 10_000, 'the PUT to start writing');
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key })).body.data.status, 'canceled');
    body.push(bytes.subarray(100));
    body.end();
    const res = assertError(await parsed(await sending), 409, 'conflict');
    assert.ok(res.body.error!.details.status);
    assert.deepEqual(await t.tempFiles(), []);
    assert.deepEqual((await snapshot(t, t.key)).stored, before.stored);
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: t.key })).body.data.status, 'canceled');
  });

  it('a client that goes away mid-upload leaves no temp file and an open session', async () => {
    const s = await session();
    const before = await snapshot(t, t.key);
    const body = manualStream();
    body.push(bytes.subarray(0, 100));
    const abort = new AbortController();
    const sending = fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: body.body, duplex: 'half', signal: abort.signal } as RequestInit).catch((err: unknown) => err);
    await eventually(async () => (await t.tempFiles()).length > 0, 10_000, 'the PUT to start writing');
    abort.abort();
    assert.ok((await sending) instanceof Error);
    await eventually(async () => (await t.tempFiles()).length === 0, 10_000, 'the temp file to go');
    await assertUnchanged(t, t.key, before);
    await stillUsable(s);
  });
});

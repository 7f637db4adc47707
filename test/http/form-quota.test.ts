/**
 * Parallel form uploads of one namespace share its quota while they stream: chunked bodies
 * (no Content-Length) reserve quota ahead of their bytes, so together they never put more
 * than the quota on disk; when they do not all fit, the newest are refused (403
 * quota_exceeded) and the oldest go on, so at least one that fits is accepted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { QUOTA_STEP } from '../../src/uploads/form-quota.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';

const MIB = 1024 * 1024;
let t: TestIntake;
before(async () => {
  t = await startIntake();
});
after(() => t.close());

/** The files under `dirs`, by inode (a file renamed from one to another while they are listed counts once) → size. */
async function filesUnder(dirs: string[]): Promise<Map<number, number>> {
  const files = new Map<number, number>();
  for (const dir of dirs) {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries.filter((x) => x.isFile())) {
      const st = await fs.stat(path.join(e.parentPath, e.name)).catch(() => null);
      if (st) files.set(st.ino, st.size);
    }
  }
  return files;
}

interface Answer {
  status: number;
  body: { data?: { asset_id: string }; error?: { code: string } } | null;
}

/**
 * POST /v1/uploads through the app's real route, parser and error handler, with a
 * multipart body that announces no length (a chunked body): the file goes in 64 KiB
 * pieces a few ms apart until the app answers. (Injected rather than sent over a socket:
 * a server refusing a large body it will not read closes the connection, and a client
 * still sending then often gets a reset instead of the answer.)
 */
async function chunkedForm(key: string, size: number, n: number): Promise<Answer> {
  const boundary = `----intake${Math.random().toString(36).slice(2)}`;
  // Each body its own content: equal files would share one stored blob.
  const piece = Buffer.alloc(64 * 1024, `intake quota test ${n}\n`);
  let answered = false;
  async function* body() {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
    for (let sent = 0; sent < size && !answered; sent += piece.length) {
      yield piece.subarray(0, Math.min(piece.length, size - sent));
      await new Promise((r) => setTimeout(r, 4));
    }
    if (!answered) yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  const res = await t.intake.app.inject({
    method: 'POST',
    url: '/v1/uploads',
    headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Readable.from(body(), { objectMode: false }),
  });
  answered = true;
  return { status: res.statusCode, body: res.json() };
}

describe('ten parallel chunked form bodies of 19 MiB under a 20 MiB quota', () => {
  it('never hold more than the quota in storage at once; the newest are 403 quota_exceeded, one is accepted; nothing is left', { timeout: 60_000 }, async () => {
    const quota = 20 * MIB;
    const size = 19 * MIB;
    const tenant = await t.tenant({ quota_bytes: quota });
    const storage = path.join(t.dataDir, 'storage');
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const files = await filesUnder([path.join(storage, 'tmp'), path.join(storage, 'objects')]);
        peak = Math.max(peak, [...files.values()].reduce((x, y) => x + y, 0));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => chunkedForm(tenant.key, size, i)));
    sampling = false;
    await sampler;

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    for (const r of refused) assert.deepEqual([r.status, r.body?.error?.code], [403, 'quota_exceeded']);
    // Two do not fit together; one must (the oldest is never refused for a newer one).
    assert.equal(accepted.length, 1, JSON.stringify(answers.map((a) => a.status)));
    // The quota bounds the bytes on disk; the slack is the sampler's own: it stats the
    // files one after another, while the bodies keep moving (one reservation step covers it).
    assert.ok(peak > size / 2, `the sampler saw only ${peak} bytes`);
    assert.ok(peak <= quota + QUOTA_STEP, `${peak} bytes in storage at once, quota ${quota}`);

    await t.settled();
    const ns = await t.api('GET', `/v1/namespaces/${tenant.namespaceId}`);
    assert.equal(ns.body.data.reserved_bytes, 0);
    assert.equal(ns.body.data.stored_bytes, size);
    assert.deepEqual(await t.tempFiles(), []);
    const del = await t.api('DELETE', `/v1/assets/${accepted[0]!.body!.data!.asset_id}`, { key: tenant.key });
    assert.ok(del.status < 300, JSON.stringify(del.body));
    await t.settled();
    const emptied = await t.api('GET', `/v1/namespaces/${tenant.namespaceId}`);
    assert.deepEqual([emptied.body.data.stored_bytes, emptied.body.data.reserved_bytes], [0, 0]);
    assert.deepEqual(await t.storedFiles(), []);
    assert.deepEqual(await t.tempFiles(), []);
  });
});

describe('eight parallel chunked form bodies of 1.5 MiB under a 4 MiB quota', () => {
  it('accept the two that fit (the oldest), not none: holding a share does not starve the others', { timeout: 60_000 }, async () => {
    const size = 1.5 * MIB;
    const tenant = await t.tenant({ quota_bytes: 4 * MIB });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => chunkedForm(tenant.key, size, i)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 202, 403, 403, 403, 403, 403, 403], JSON.stringify(answers.map((a) => a.body?.error ?? a.status)));
    for (const r of answers.filter((a) => a.status !== 202)) assert.equal(r.body?.error?.code, 'quota_exceeded');
    await t.settled();
    const ns = await t.api('GET', `/v1/namespaces/${tenant.namespaceId}`);
    assert.deepEqual([ns.body.data.stored_bytes, ns.body.data.reserved_bytes], [2 * size, 0]);
    for (const a of answers.filter((x) => x.status === 202)) {
      const del = await t.api('DELETE', `/v1/assets/${a.body!.data!.asset_id}`, { key: tenant.key });
      assert.ok(del.status < 300, JSON.stringify(del.body));
    }
    await t.settled();
    assert.deepEqual(await t.storedFiles(), []);
    assert.deepEqual(await t.tempFiles(), []);
  });
});

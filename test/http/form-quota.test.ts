/**
 * Parallel form uploads of one namespace share its quota while they stream: chunked bodies
 * (no Content-Length) reserve quota as their bytes arrive, so together they never put more
 * than the quota on disk; the ones that do not fit are refused 403 quota_exceeded at once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IntakeError } from '../../src/lib/errors.js';
import { formUpload } from '../../src/uploads/form-upload.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';

const MIB = 1024 * 1024;
let t: TestIntake;
before(async () => {
  t = await startIntake();
});
after(() => t.close());

/** Total size of the files under `dir`. */
async function bytesUnder(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => fs.stat(path.join(e.parentPath, e.name)).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * A form whose file arrives as a chunked body would: 64 KiB pieces with a pause between
 * them, no size announced. (Driven through formUpload itself: over HTTP a server that
 * answers early and closes resets the unsent rest, and the client may lose the answer.)
 */
async function chunkedForm(namespaceId: string, data: Buffer): Promise<{ status: number; code?: string; upload?: { asset_id: string } }> {
  async function* pieces() {
    for (let offset = 0; offset < data.length; offset += 64 * 1024) {
      yield data.subarray(offset, offset + 64 * 1024);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  try {
    const upload = await formUpload(t.intake.deps, { namespaceId }, (async function* () {
      yield { type: 'file' as const, name: 'file', filename: 'big.txt', mimetype: 'text/plain', stream: Readable.from(pieces()) };
    })());
    return { status: 202, upload };
  } catch (err) {
    if (!(err instanceof IntakeError)) throw err;
    // The HTTP layer answers quota_exceeded with 403.
    return { status: err.code === 'quota_exceeded' ? 403 : 0, code: err.code };
  }
}

describe('parallel chunked form uploads against a small quota', () => {
  it('never hold more than the quota in storage at once; those that do not fit are 403 quota_exceeded; nothing is left', async () => {
    const quota = 4 * MIB;
    const tenant = await t.tenant({ quota_bytes: quota });
    const file = Buffer.alloc(Math.floor(1.5 * MIB), 'intake quota test\n');
    const storage = path.join(t.dataDir, 'storage');
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [tmp, objects] = await Promise.all([bytesUnder(path.join(storage, 'tmp')), bytesUnder(path.join(storage, 'objects'))]);
        peak = Math.max(peak, tmp + objects);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const answers = await Promise.all(Array.from({ length: 8 }, () => chunkedForm(tenant.namespaceId, file)));
    sampling = false;
    await sampler;

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    for (const r of refused) {
      assert.deepEqual(r, { status: 403, code: 'quota_exceeded' });
    }
    assert.ok(accepted.length >= 1 && accepted.length <= 2, `accepted ${accepted.length}`);
    assert.ok(refused.length >= 6, `refused ${refused.length}`);
    assert.ok(peak <= quota, `${peak} bytes in storage at once, quota ${quota}`);

    await t.settled();
    const ns = await t.api('GET', `/v1/namespaces/${tenant.namespaceId}`);
    assert.equal(ns.body.data.reserved_bytes, 0);
    assert.equal(ns.body.data.stored_bytes, accepted.length * file.length);
    assert.deepEqual(await t.tempFiles(), []);
    for (const a of accepted) {
      const del = await t.api('DELETE', `/v1/assets/${a.upload!.asset_id}`, { key: tenant.key });
      assert.ok(del.status < 300, JSON.stringify(del.body));
    }
    await t.settled();
    const emptied = await t.api('GET', `/v1/namespaces/${tenant.namespaceId}`);
    assert.equal(emptied.body.data.stored_bytes, 0);
    assert.equal(emptied.body.data.reserved_bytes, 0);
    assert.deepEqual(await t.storedFiles(), []);
    assert.deepEqual(await t.tempFiles(), []);
  });
});

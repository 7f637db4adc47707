/**
 * A signed PUT on local disk is answered once its bytes are received and hashed; complete
 * makes them durable before it verifies them, and does not trust the digest taken on
 * arrival for bytes written before the machine last started (unsynced pages die with it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPEN } from '../../src/uploads/status.js';
import { useIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';

describe('durability of a signed PUT, deferred to complete', () => {
  const t = useIntake();

  async function putImage(): Promise<{ id: string; bytes: Buffer; key: string }> {
    const bytes = await png(40, 30);
    const s = await t.api('POST', '/v1/uploads', { key: t.key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length } });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const put = await fetch(s.body.data.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    assert.equal(put.status, 200);
    const row = await t.intake.deps.store.uploads.findById(s.body.data.upload_id);
    assert.equal(row?.received_sha256, sha256(bytes), 'hashed as the bytes arrived');
    return { id: s.body.data.upload_id, bytes, key: row!.storage_key };
  }

  /** Completes with the digest recorded on arrival replaced by `digest`; answers the complete. */
  async function completeWithRecordedDigest(id: string, digest: string) {
    assert.ok(await t.intake.deps.store.uploads.transition(id, OPEN, { received_sha256: digest }));
    return t.api('POST', `/v1/uploads/${id}/complete`, { key: t.key, json: {} });
  }

  it('complete syncs the bytes it verified, and trusts the digest taken on arrival in the same boot', async () => {
    const { id, key } = await putImage();
    const storage = t.intake.deps.storage;
    const synced: string[] = [];
    const real = storage.sync!.bind(storage);
    storage.sync = async (k) => (synced.push(k), real(k));
    try {
      // The recorded digest is what the asset gets: the bytes are not read again.
      const done = await completeWithRecordedDigest(id, 'f'.repeat(64));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.asset.sha256, 'f'.repeat(64));
    } finally {
      delete (storage as { sync?: unknown }).sync;
    }
    assert.deepEqual(synced, [key]);
  });

  describe('bytes written before the machine started (what the driver answers for them: local-storage.test.ts)', () => {
    const asIfRestarted = async <T>(fn: () => Promise<T>): Promise<T> => {
      const storage = t.intake.deps.storage;
      storage.sync = async () => false;
      try {
        return await fn();
      } finally {
        delete (storage as { sync?: unknown }).sync;
      }
    };

    it('are hashed again and accepted when they are what arrived', async () => {
      const { id, bytes } = await putImage();
      const done = await asIfRestarted(() => completeWithRecordedDigest(id, sha256(bytes)));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.asset.sha256, sha256(bytes));
    });

    it('fail the upload (lost_on_restart), bytes removed, when they are not what arrived', async () => {
      const { id, bytes, key } = await putImage();
      const done = await asIfRestarted(() => completeWithRecordedDigest(id, 'f'.repeat(64)));
      assert.equal(done.status, 422, JSON.stringify(done.body));
      assert.equal(done.body.error!.code, 'verification_failed');
      assert.equal(done.body.error!.details.reason, 'lost_on_restart');
      assert.equal(done.body.error!.details.actual, sha256(bytes));
      assert.equal(await t.intake.deps.storage.head(key), null);
    });
  });
});

/**
 * Attaching an upload and the 24-hour sweeper race for the same row; the database
 * decides, on both dialects: either the asset holds the bytes (and the quota counts them
 * once) or the upload is gone with its bytes and quota — never both, never neither.
 * Driven through the use cases directly (createTestDeps), where the race is easiest to aim.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createAssetFromUploads } from '../../src/assets/create-asset.js';
import { completeUpload } from '../../src/uploads/complete-upload.js';
import { formUpload } from '../../src/uploads/form-upload.js';
import { sweepUnattached, UNATTACHED_TTL_MS } from '../../src/uploads/sweep-unattached.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { png } from '../helpers/media.js';
import { addNamespace } from '../helpers/rows.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`attach versus sweep on ${dialect}`, () => {
    let t: TestDeps;
    before(async () => {
      t = await createTestDeps(dialect);
    });
    after(() => t.close());

    async function detachedUpload(namespaceId: string, bytes: Buffer) {
      const upload = await formUpload(t.deps, { namespaceId }, (async function* () {
        yield { type: 'field' as const, name: 'create_asset', value: 'false' };
        yield { type: 'file' as const, name: 'file', filename: 'p.png', mimetype: 'image/png', stream: Readable.from([bytes]) };
      })());
      const done = await completeUpload(t.deps, { namespaceId }, upload.id);
      assert.equal(done.upload.status, 'completed');
      assert.equal(done.asset, null);
      return done.upload;
    }

    it('exactly one of them wins, and the counters agree with what is left', async () => {
      for (let round = 0; round < 6; round++) {
        const namespaceId = await addNamespace(t.deps.store);
        const bytes = await png(20 + round, 20);
        const upload = await detachedUpload(namespaceId, bytes);
        t.clock.advance(UNATTACHED_TTL_MS / 1000 + 1);
        try {
          const [attach, swept] = await Promise.allSettled([
            createAssetFromUploads(t.deps, { namespaceId }, { uploads: [{ upload_id: upload.id }] }),
            sweepUnattached(t.deps),
          ]);
          const row = await t.deps.store.uploads.findById(upload.id);
          const ns = (await t.deps.store.namespaces.find(namespaceId))!;
          const head = await t.deps.storage.head(upload.storage_key);
          if (attach.status === 'fulfilled') {
            assert.equal(row?.asset_id, attach.value.id, 'the attached upload stays');
            assert.equal(ns.stored_bytes, bytes.length);
            assert.ok(head, 'its bytes stay');
          } else {
            assert.equal(swept.status, 'fulfilled');
            assert.equal(row, undefined, 'the swept upload is gone');
            assert.match(String((attach.reason as { code?: string }).code), /^(not_found|conflict)$/);
            assert.equal(ns.stored_bytes, 0);
            assert.equal(head, null, 'its bytes are gone');
          }
          assert.equal(ns.reserved_bytes, 0);
        } finally {
          t.clock.advance(-(UNATTACHED_TTL_MS / 1000 + 1));
        }
      }
    });
  });
}

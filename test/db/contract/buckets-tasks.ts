/** Buckets and tasks repository contract; run by repositories.test.ts on every dialect. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUniqueViolation } from '../../../src/db/database.js';
import type { Store } from '../../../src/db/repositories/index.js';
import { newId } from '../../../src/lib/ids.js';
import { addNamespace, assetRow, at, uploadRow } from '../../helpers/rows.js';

const bucketRow = (namespaceId: string, name = `b-${Math.random().toString(36).slice(2)}`) => ({
  id: newId('bkt'),
  namespace_id: namespaceId,
  name,
  active: 1,
  schema: null,
  unique_key: '["sku"]',
  created_at: at(0),
  updated_at: at(0),
});

export function bucketsTasksContract(s: () => Store): void {
  describe('buckets and tasks', () => {
    it('a bucket is found only in its namespace; names are unique per namespace', async () => {
      const a = await addNamespace(s());
      const b = await addNamespace(s());
      const row = bucketRow(a, 'same');
      await s().buckets.insert(row);
      assert.deepEqual(await s().buckets.find(a, row.id), row);
      assert.equal(await s().buckets.find(b, row.id), undefined);
      assert.equal(await s().buckets.update(b, row.id, { active: 0 }), false);
      await assert.rejects(s().buckets.insert(bucketRow(a, 'same')), (err) => isUniqueViolation(err));
      await s().buckets.insert(bucketRow(b, 'same'));
      assert.deepEqual((await s().buckets.list(a, { limit: 10 })).map((r) => r.id), [row.id]);
    });

    it('deleteIfEmpty refuses while an asset or an open session is in the bucket', async () => {
      const ns = await addNamespace(s());
      const row = bucketRow(ns);
      await s().buckets.insert(row);
      const upload = uploadRow(ns, { bucket_id: row.id });
      await s().uploads.insert(upload);
      assert.equal(await s().buckets.deleteIfEmpty(ns, row.id), false);
      await s().uploads.update(upload.id, { status: 'canceled' });
      const asset = assetRow(ns, { bucket_id: row.id });
      await s().assets.insert(asset);
      assert.equal(await s().buckets.deleteIfEmpty(ns, row.id), false);
      await s().assets.delete(ns, asset.id);
      assert.equal(await s().buckets.deleteIfEmpty(ns + 'x', row.id), false, 'another namespace');
      assert.equal(await s().buckets.deleteIfEmpty(ns, row.id), true);
      assert.equal(await s().buckets.find(ns, row.id), undefined);
    });

    it('unique-key values are unique per bucket; assets without a bucket or key are unconstrained', async () => {
      const ns = await addNamespace(s());
      const [one, two] = [bucketRow(ns), bucketRow(ns)];
      await s().buckets.insert(one);
      await s().buckets.insert(two);
      const first = assetRow(ns, { bucket_id: one.id, unique_key: '["A"]' });
      await s().assets.insert(first);
      await assert.rejects(s().assets.insert(assetRow(ns, { bucket_id: one.id, unique_key: '["A"]' })), (err) => isUniqueViolation(err));
      await s().assets.insert(assetRow(ns, { bucket_id: two.id, unique_key: '["A"]' }));
      await s().assets.insert(assetRow(ns, { bucket_id: one.id }));
      await s().assets.insert(assetRow(ns, { bucket_id: one.id }));
      assert.equal((await s().assets.findByUniqueKey(ns, one.id, '["A"]'))?.id, first.id);
      assert.equal(await s().assets.findByUniqueKey(ns + 'x', one.id, '["A"]'), undefined);
    });

    it('a task is found in its namespace; it goes with its upload', async () => {
      const ns = await addNamespace(s());
      const upload = uploadRow(ns);
      await s().uploads.insert(upload);
      const task = { id: newId('task'), namespace_id: ns, upload_id: upload.id, created_at: at(0) };
      await s().tasks.insert(task);
      assert.deepEqual(await s().tasks.find(ns, task.id), task);
      assert.equal(await s().tasks.find(ns + 'x', task.id), undefined);
      assert.equal((await s().tasks.latestOf(upload.id))?.id, task.id);
      await s().uploads.remove(upload.id);
      assert.equal(await s().tasks.find(ns, task.id), undefined);
    });

    it('firstWithContent: the earliest other verified session with the hash, in the namespace', async () => {
      const ns = await addNamespace(s());
      const sha = 'f'.repeat(63) + Math.floor(Math.random() * 10);
      const early = uploadRow(ns, { status: 'completed', received_sha256: sha, created_at: at(1) });
      const late = uploadRow(ns, { status: 'completed', received_sha256: sha, created_at: at(2) });
      const failed = uploadRow(ns, { status: 'failed', received_sha256: sha, created_at: at(0) });
      for (const u of [late, early, failed]) await s().uploads.insert(u);
      assert.equal((await s().uploads.firstWithContent(ns, sha, late.id))?.id, early.id);
      assert.equal((await s().uploads.firstWithContent(ns, sha, early.id))?.id, late.id);
      assert.equal(await s().uploads.firstWithContent(ns + 'x', sha, late.id), undefined);
    });
  });
}

/**
 * Store.groupedTransaction (session creates): on SQLite concurrent callers share one commit,
 * each in its own savepoint; on PostgreSQL each has its own transaction. Either way every
 * caller commits or rolls back alone: a caller that fails after writing leaves nothing,
 * its neighbours keep everything, and the quota is never overrun.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isUniqueViolation } from '../../src/db/database.js';
import { openTestStore, type TestStore } from '../helpers/databases.js';
import { addNamespace, assetRow, uploadRow } from '../helpers/rows.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`grouped transactions on ${dialect}`, () => {
    let t: TestStore;
    before(async () => {
      t = await openTestStore(dialect);
    });
    after(() => t.close());

    it('commits each caller alone: quota never overrun, a failed caller leaves no reservation or row', async () => {
      const ns = await addNamespace(t.store, 1000);
      // 30 callers of 100 bytes against a quota of 1000; every third one reuses an alias after reserving.
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          t.store.groupedTransaction(async (r) => {
            if (!(await r.namespaces.reserve(ns, 100))) throw new Error('quota');
            const asset = assetRow(ns, { status: 'pending', alias: i % 3 === 2 ? 'shared' : `own-${i}` });
            await r.assets.insert(asset);
            await r.uploads.insert(uploadRow(ns, { asset_id: asset.id, reserved_bytes: 100 }));
            return asset.id;
          }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(lost.some((r) => isUniqueViolation(r.reason)), 'some callers lost the alias');
      assert.ok(lost.some((r) => (r.reason as Error).message === 'quota'), 'some callers hit the quota');
      assert.ok(lost.every((r) => isUniqueViolation(r.reason) || (r.reason as Error).message === 'quota'));
      const namespace = await t.store.namespaces.find(ns);
      assert.equal(namespace?.reserved_bytes, won.length * 100, 'only the callers that committed hold a reservation');
      assert.ok(namespace!.reserved_bytes <= 1000);
      const uploads = await t.store.uploads.list(ns, { limit: 100 });
      assert.equal(uploads.length, won.length);
      const ids = won.map((r) => (r as PromiseFulfilledResult<string>).value).sort();
      assert.deepEqual(uploads.map((u) => u.asset_id).sort(), ids);
      for (const id of ids) assert.ok(await t.store.assets.find(ns, id));
    });

    it('rolls back a failing lone caller entirely', async () => {
      const ns = await addNamespace(t.store, null);
      await assert.rejects(
        t.store.groupedTransaction(async (r) => {
          await r.namespaces.reserve(ns, 500);
          throw new Error('after the reservation');
        }),
        /after the reservation/,
      );
      assert.equal((await t.store.namespaces.find(ns))?.reserved_bytes, 0);
    });
  });
}

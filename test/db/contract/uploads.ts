/** Uploads repository contract; run by repositories.test.ts on every dialect. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PageCursor, Store } from '../../../src/db/repositories/index.js';
import { NO_ASSET, type UploadStatus } from '../../../src/db/schema.js';
import { addNamespace, at, GIB, uploadRow } from '../../helpers/rows.js';

/** Every page of `fetch`, following the keyset cursor from each page's last row. */
export async function allPages<T extends { id: string; created_at: string }>(
  fetch: (after?: PageCursor) => Promise<T[]>,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: PageCursor | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const page = await fetch(after);
    if (page.length) pages.push(page);
    if (page.length < limit) return pages;
    const last = page[page.length - 1]!;
    after = { createdAt: last.created_at, id: last.id };
  }
  throw new Error('pagination did not end');
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

export function uploadsContract(s: () => Store): void {
  describe('uploads', () => {
    it('finds an upload only within its namespace, with sizes as numbers', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      const row = uploadRow(ns, { file_size: 6 * GIB, part_size: 64 * 1024 * 1024, reserved_bytes: 6 * GIB, conditions: '{"operator":"&&","rules":[]}' });
      await s().uploads.insert(row);
      const found = await s().uploads.find(ns, row.id);
      assert.ok(found);
      assert.equal(found.file_size, 6 * GIB);
      assert.equal(typeof found.file_size, 'number');
      assert.equal(found.reserved_bytes, 6 * GIB);
      assert.equal(found.part_size, 64 * 1024 * 1024);
      assert.equal(found.conditions, row.conditions);
      assert.equal(found.completed_at, null);
      assert.equal(found.received_size, null);
      assert.equal(await s().uploads.find(other, row.id), undefined);
      assert.equal((await s().uploads.findById(row.id))?.namespace_id, ns);
      assert.equal(await s().uploads.find(ns, 'upl_missing'), undefined);
    });

    it('transition() applies only from the listed statuses, once', async () => {
      const ns = await addNamespace(s());
      const row = uploadRow(ns);
      await s().uploads.insert(row);
      assert.equal(await s().uploads.transition(row.id, ['pending'], { status: 'uploading', progress: 10, updated_at: at(5) }), true);
      assert.equal(await s().uploads.transition(row.id, ['pending'], { status: 'canceled' }), false);
      let found = await s().uploads.find(ns, row.id);
      assert.equal(found?.status, 'uploading');
      assert.equal(found?.progress, 10);
      assert.equal(found?.updated_at, at(5));
      assert.equal(await s().uploads.transition(row.id, ['pending', 'uploading'], { status: 'completed', completed_at: at(9), received_size: 6 * GIB }), true);
      assert.equal(await s().uploads.transition(row.id, ['pending', 'uploading'], { status: 'failed' }), false);
      found = await s().uploads.find(ns, row.id);
      assert.equal(found?.status, 'completed');
      assert.equal(found?.received_size, 6 * GIB);
      assert.equal(await s().uploads.transition('upl_missing', ['pending'], { status: 'failed' }), false);
    });

    it('a verification lease: renewed only by its holder, taken over once it runs out, by one caller', async () => {
      const ns = await addNamespace(s());
      const row = uploadRow(ns, { asset_id: NO_ASSET, create_asset: 0 });
      await s().uploads.insert(row);
      assert.equal(await s().uploads.transition(row.id, ['pending'], { status: 'processing', lease_token: 'a', lease_until: at(10) }), true);
      assert.equal(await s().uploads.takeLease(row.id, 'b', at(5), at(15)), false, 'a live lease is not taken');
      assert.deepEqual(ids(await s().uploads.listLeaseExpired(at(5), 10)), []);
      assert.equal(await s().uploads.renewLease(row.id, 'a', at(20)), true);
      assert.equal(await s().uploads.renewLease(row.id, 'b', at(30)), false, 'only the holder renews');
      assert.deepEqual(ids(await s().uploads.listLeaseExpired(at(21), 10)), [row.id]);
      const wins = await Promise.all(['b', 'c', 'd'].map((t) => s().uploads.takeLease(row.id, t, at(21), at(31))));
      assert.equal(wins.filter(Boolean).length, 1, 'exactly one takes it over');
      const holder = (await s().uploads.findById(row.id))!.lease_token!;
      assert.equal(await s().uploads.finishLeased(row.id, 'a', { status: 'completed' }), false, 'the old holder cannot finish');
      assert.equal(await s().uploads.finishLeased(row.id, holder, { status: 'completed' }), true);
      const done = (await s().uploads.findById(row.id))!;
      assert.equal(done.status, 'completed');
      assert.equal(done.lease_token, null);
      assert.equal(done.lease_until, null);
    });

    it('concurrent transitions from the same status: exactly one wins', async () => {
      const ns = await addNamespace(s());
      const row = uploadRow(ns);
      await s().uploads.insert(row);
      const wins = await Promise.all(
        (['completed', 'canceled', 'failed'] as const).map((status) => s().uploads.transition(row.id, ['pending'], { status })),
      );
      assert.equal(wins.filter(Boolean).length, 1);
    });

    it('takeReservation() hands the reservation out once, then 0', async () => {
      const ns = await addNamespace(s());
      const row = uploadRow(ns, { reserved_bytes: 6 * GIB });
      await s().uploads.insert(row);
      assert.equal(await s().uploads.takeReservation(row.id), 6 * GIB);
      assert.equal(await s().uploads.takeReservation(row.id), 0);
      assert.equal((await s().uploads.find(ns, row.id))?.reserved_bytes, 0);
      assert.equal(await s().uploads.takeReservation('upl_missing'), 0);
    });

    it('concurrent takeReservation() calls hand it out exactly once', async () => {
      const ns = await addNamespace(s());
      const row = uploadRow(ns, { reserved_bytes: 500 });
      await s().uploads.insert(row);
      const taken = await Promise.all([1, 2, 3].map(() => s().uploads.takeReservation(row.id)));
      assert.deepEqual([...taken].sort((a, b) => a - b), [0, 0, 500]);
    });

    it('list() pages newest first by (created_at, id), filtered by status', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      const spec: [number, UploadStatus][] = [[10, 'pending'], [20, 'failed'], [30, 'pending'], [30, 'failed'], [30, 'completed'], [40, 'failed']];
      const rows = spec.map(([t, status], i) => uploadRow(ns, { id: `upl_list${i}${'a'.repeat(12)}`, created_at: at(t), status }));
      for (const r of [...rows].reverse()) await s().uploads.insert(r);
      await s().uploads.insert(uploadRow(other, { created_at: at(25) }));
      const expected = [rows[5]!, rows[4]!, rows[3]!, rows[2]!, rows[1]!, rows[0]!];

      const pages = await allPages((after) => s().uploads.list(ns, { limit: 2, after }), 2);
      assert.deepEqual(pages.map(ids), [ids(expected.slice(0, 2)), ids(expected.slice(2, 4)), ids(expected.slice(4))]);

      const failed = await allPages((after) => s().uploads.list(ns, { limit: 2, status: 'failed', after }), 2);
      assert.deepEqual(failed.map(ids), [[rows[5]!.id, rows[3]!.id], [rows[1]!.id]]);
      assert.deepEqual(await s().uploads.list(ns, { limit: 10, status: 'expired' }), []);
    });

    it('listExpired() returns open sessions past their expiry only', async () => {
      // A distant era keeps other tests' rows (which expire in 2030) out of the answer.
      const era = Date.UTC(1995, 0, 1);
      const ns = await addNamespace(s());
      const make = (status: UploadStatus, expiresIn: number) => uploadRow(ns, { status, expires_at: at(expiresIn, era) });
      const due = [make('pending', -10), make('uploading', -1)];
      const notDue = [make('pending', 0), make('pending', 60), make('completed', -10), make('processing', -10), make('canceled', -10)];
      for (const r of [...due, ...notDue]) await s().uploads.insert(r);
      const now = at(0, era);
      assert.deepEqual(ids(await s().uploads.listExpired(now, 10)).sort(), ids(due).sort());
      assert.equal((await s().uploads.listExpired(now, 1)).length, 1);
    });

    it('listFinishedBefore() finds old failed, canceled and expired uploads, in batches', async () => {
      const era = Date.UTC(1985, 0, 1);
      const ns = await addNamespace(s());
      const old = (status: UploadStatus) => uploadRow(ns, { status, updated_at: at(-100, era) });
      const doomed = [old('failed'), old('canceled'), old('expired')];
      const kept = [old('completed'), old('pending'), old('uploading'), uploadRow(ns, { status: 'failed', updated_at: at(100, era) })];
      for (const r of [...doomed, ...kept]) await s().uploads.insert(r);
      const cutoff = at(0, era);
      assert.equal((await s().uploads.listFinishedBefore(cutoff, 2)).length, 2);
      const due = await s().uploads.listFinishedBefore(cutoff, 10);
      assert.deepEqual(due.map((r) => r.id).sort(), doomed.map((r) => r.id).sort());
      for (const r of due) await s().uploads.remove(r.id);
      assert.equal((await s().uploads.listFinishedBefore(cutoff, 10)).length, 0);
      for (const r of doomed) assert.equal(await s().uploads.find(ns, r.id), undefined);
      for (const r of kept) assert.ok(await s().uploads.find(ns, r.id), `${r.status} upload kept`);
    });
  });
}

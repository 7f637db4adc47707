/**
 * Migration 0010 counts renditions already stored (sources without a blob) in their
 * namespace's stored_bytes, so deleting such an asset later gives back only what was added.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrateUpTo, type Dialect } from '../../src/db/database.js';
import { useFreshDatabase } from '../helpers/databases.js';
import { at } from '../helpers/rows.js';

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0011-rendition-bytes on ${dialect}`, () => {
    const database = useFreshDatabase(dialect);

    it('adds the renditions of each namespace to its stored_bytes, not sources attached from uploads', async () => {
      const db = database();
      await migrateUpTo(db, '0010-namespace-name-unique');
      const raw = db.kysely as unknown as import('kysely').Kysely<any>;
      await raw.insertInto('namespaces').values([
        { id: 'ns_a', name: 'a', limits: '{}', created_at: at(0), stored_bytes: 1000 },
        { id: 'ns_b', name: 'b', limits: '{}', created_at: at(0), stored_bytes: 500 },
      ]).execute();
      await raw.insertInto('assets').values({ id: 'med_a', namespace_id: 'ns_a', upload_id: 'upl_a', filename: 'v.mp4', kind: 'video', folder: 'root', metadata: '{}', status: 'ready', created_at: at(1), updated_at: at(1) }).execute();
      const source = (id: string, label: string, filesize: number, blob_id: string | null) =>
        ({ id, asset_id: 'med_a', namespace_id: 'ns_a', label, mimetype: 'video/mp4', filesize, storage_key: `ns_a/med_a/${label}`, blob_id, created_at: at(2) });
      await raw.insertInto('sources').values([source('src_1', '240p', 300, null), source('src_2', 'poster', 20, null), source('src_3', 'transcript', 7, 'blb_x')]).execute();

      await migrateUpTo(db, '0011-rendition-bytes');
      const rows = await raw.selectFrom('namespaces').select(['id', 'stored_bytes']).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => [r.id, Number(r.stored_bytes)]), [['ns_a', 1320], ['ns_b', 500]]);
    });
  });
}

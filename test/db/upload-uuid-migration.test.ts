/**
 * Migration 0014 gives every existing upload session a UUID of its own, and the column is
 * unique: the Video Uploads and media-upload APIs (docs/COMPAT.md) name sessions by it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrateUpTo, type Dialect } from '../../src/db/database.js';
import { useFreshDatabase } from '../helpers/databases.js';
import { at, uploadRow } from '../helpers/rows.js';

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0014-upload-uuid on ${dialect}`, () => {
    const database = useFreshDatabase(dialect);

    it('gives each existing session a distinct UUID, and refuses a duplicate', async () => {
      const db = database();
      await migrateUpTo(db, '0011-rendition-bytes');
      const raw = db.kysely as unknown as import('kysely').Kysely<any>;
      await raw.insertInto('namespaces').values({ id: 'ns_a', name: 'a', limits: '{}', created_at: at(0) }).execute();
      const { uuid: _u, ...a } = uploadRow('ns_a', { id: 'upl_a' }) as any;
      const { uuid: _v, ...b } = uploadRow('ns_a', { id: 'upl_b' }) as any;
      await raw.insertInto('uploads').values([a, b]).execute();

      await migrateUpTo(db, '0014-upload-uuid');
      const rows = await raw.selectFrom('uploads').select(['id', 'uuid']).orderBy('id').execute();
      for (const r of rows) assert.match(r.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(rows[0]!.uuid, rows[1]!.uuid);
      await assert.rejects(raw.updateTable('uploads').set({ uuid: rows[0]!.uuid }).where('id', '=', 'upl_b').execute());
    });
  });
}

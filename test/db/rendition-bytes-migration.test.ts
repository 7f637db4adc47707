/**
 * Migration 0010 counts renditions already stored (sources without a blob) in their
 * namespace's stored_bytes, so deleting such an asset later gives back only what was added.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migrator, type Migration } from 'kysely';
import { openDatabase, type Db, type Dialect } from '../../src/db/database.js';
import * as m0001 from '../../src/db/migrations/0001-initial.js';
import * as m0002 from '../../src/db/migrations/0002-upload-attempts.js';
import * as m0003 from '../../src/db/migrations/0003-blob-key-index.js';
import * as m0004 from '../../src/db/migrations/0004-hardening.js';
import * as m0005 from '../../src/db/migrations/0005-alias-key.js';
import * as m0006 from '../../src/db/migrations/0006-contract.js';
import * as m0008 from '../../src/db/migrations/0008-jobs.js';
import * as m0009 from '../../src/db/migrations/0009-multipart.js';
import * as m0011 from '../../src/db/migrations/0011-rendition-bytes.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { at } from '../helpers/rows.js';

const BEFORE: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-upload-attempts': m0002,
  '0003-blob-key-index': m0003,
  '0004-hardening': m0004,
  '0005-alias-key': m0005,
  '0006-contract': m0006,
  '0008-jobs': m0008,
  '0009-multipart': m0009,
};

async function migrate(db: Db, migrations: Record<string, Migration>): Promise<void> {
  const { error } = await new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
}

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0011-rendition-bytes on ${dialect}`, () => {
    let database: TestDatabase;
    let db: Db;
    before(async () => {
      database = await createTestDatabase(dialect);
      db = openDatabase(database.url);
    });
    after(async () => {
      await db?.close();
      await database?.drop();
    });

    it('adds the renditions of each namespace to its stored_bytes, not sources attached from uploads', async () => {
      await migrate(db, BEFORE);
      const raw = db.kysely as unknown as import('kysely').Kysely<any>;
      await raw.insertInto('namespaces').values([
        { id: 'ns_a', name: 'a', limits: '{}', created_at: at(0), stored_bytes: 1000 },
        { id: 'ns_b', name: 'b', limits: '{}', created_at: at(0), stored_bytes: 500 },
      ]).execute();
      await raw.insertInto('assets').values({ id: 'med_a', namespace_id: 'ns_a', upload_id: 'upl_a', filename: 'v.mp4', kind: 'video', folder: 'root', metadata: '{}', status: 'ready', created_at: at(1), updated_at: at(1) }).execute();
      const source = (id: string, label: string, filesize: number, blob_id: string | null) =>
        ({ id, asset_id: 'med_a', namespace_id: 'ns_a', label, mimetype: 'video/mp4', filesize, storage_key: `ns_a/med_a/${label}`, blob_id, created_at: at(2) });
      await raw.insertInto('sources').values([source('src_1', '240p', 300, null), source('src_2', 'poster', 20, null), source('src_3', 'transcript', 7, 'blb_x')]).execute();

      await migrate(db, { ...BEFORE, '0011-rendition-bytes': m0011 });
      const rows = await raw.selectFrom('namespaces').select(['id', 'stored_bytes']).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => [r.id, Number(r.stored_bytes)]), [['ns_a', 1320], ['ns_b', 500]]);
    });
  });
}

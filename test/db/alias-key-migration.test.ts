/**
 * Migration 0005 moves alias uniqueness from the alias as typed to its folded key, on a
 * database that already holds assets, on both dialects. Aliases that fold onto an older
 * one (possible before the migration) cannot both keep a key: the oldest keeps it, the
 * others keep their text and no key, and the migration never fails on them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator, sql, type Migration } from 'kysely';
import { isUniqueViolation, type Db, type Dialect } from '../../src/db/database.js';
import * as m0001 from '../../src/db/migrations/0001-initial.js';
import * as m0002 from '../../src/db/migrations/0002-upload-attempts.js';
import * as m0003 from '../../src/db/migrations/0003-blob-key-index.js';
import * as m0005 from '../../src/db/migrations/0005-alias-key.js';
import { createStore } from '../../src/db/repositories/index.js';
import { useFreshDatabase } from '../helpers/databases.js';
import { at } from '../helpers/rows.js';

const BEFORE: Record<string, Migration> = { '0001-initial': m0001, '0002-upload-attempts': m0002, '0003-blob-key-index': m0003 };
const AFTER: Record<string, Migration> = { ...BEFORE, '0005-alias-key': m0005 };

async function migrate(db: Db, migrations: Record<string, Migration>): Promise<void> {
  const { error } = await new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
}

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0005-alias-key on ${dialect}`, () => {
    const fresh = useFreshDatabase(dialect);

    it('keys existing aliases oldest first, leaves colliding ones unkeyed, then enforces the key', async () => {
      const db = fresh();
      await migrate(db, BEFORE);
      const raw = db.kysely as unknown as import('kysely').Kysely<any>;
      await raw.insertInto('namespaces').values([{ id: 'ns_a', name: 'a', limits: '{}', created_at: at(0) }, { id: 'ns_b', name: 'b', limits: '{}', created_at: at(0) }]).execute();
      const asset = (id: string, namespace_id: string, alias: string | null, minute: number) =>
        ({ id, namespace_id, upload_id: `upl_${id}`, filename: 'f.png', kind: 'image', folder: 'root', metadata: '{}', status: 'ready', alias, created_at: at(minute), updated_at: at(minute) });
      await raw.insertInto('assets').values([
        asset('med_new', 'ns_a', 'LOGO', 5), // folds onto the older "Logo"
        asset('med_old', 'ns_a', 'Logo', 1),
        asset('med_cafe', 'ns_a', 'Caf\u00e9', 2),
        asset('med_other', 'ns_b', 'logo', 3), // another namespace: its own key
        asset('med_none', 'ns_a', null, 4),
      ]).execute();

      await migrate(db, AFTER);
      const rows = await sql<{ id: string; alias: string | null; alias_key: string | null }>`select id, alias, alias_key from assets order by id`.execute(db.kysely);
      assert.deepEqual(rows.rows, [
        { id: 'med_cafe', alias: 'Caf\u00e9', alias_key: 'caf\u00e9' },
        { id: 'med_new', alias: 'LOGO', alias_key: null },
        { id: 'med_none', alias: null, alias_key: null },
        { id: 'med_old', alias: 'Logo', alias_key: 'logo' },
        { id: 'med_other', alias: 'logo', alias_key: 'logo' },
      ]);

      const store = createStore(db.kysely);
      assert.equal((await store.assets.findByAlias('ns_a', 'lOgO'))?.id, 'med_old');
      assert.equal((await store.assets.findByAlias('ns_a', 'CAFE\u0301'))?.id, 'med_cafe');
      await assert.rejects(
        store.assets.insert({ id: 'med_x', namespace_id: 'ns_a', upload_id: 'upl_x', filename: 'x', kind: 'image', folder: 'root', metadata: '{}', status: 'ready', alias: 'logo', created_at: at(9), updated_at: at(9) }),
        (err) => isUniqueViolation(err),
      );
      // The unkeyed one gets a key again once renamed to something free.
      await store.assets.update('ns_a', 'med_new', { alias: 'Logo-2' });
      assert.equal((await store.assets.findByAlias('ns_a', 'LOGO-2'))?.id, 'med_new');
    });
  });
}

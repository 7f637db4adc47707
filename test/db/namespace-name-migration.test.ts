/**
 * Migration 0010 makes namespace names unique per instance, on both dialects, on a
 * database that already holds duplicates: the oldest keeps its name, later ones get a
 * suffix, the migration never fails on them, and the index then refuses a taken name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migrator, type Migration } from 'kysely';
import { isUniqueViolation, migrateToLatest, openDatabase, type Db, type Dialect } from '../../src/db/database.js';
import * as m0001 from '../../src/db/migrations/0001-initial.js';
import * as m0002 from '../../src/db/migrations/0002-upload-attempts.js';
import * as m0003 from '../../src/db/migrations/0003-blob-key-index.js';
import * as m0004 from '../../src/db/migrations/0004-hardening.js';
import * as m0005 from '../../src/db/migrations/0005-alias-key.js';
import * as m0006 from '../../src/db/migrations/0006-contract.js';
import * as m0008 from '../../src/db/migrations/0008-jobs.js';
import * as m0009 from '../../src/db/migrations/0009-multipart.js';
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

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0010-namespace-name-unique on ${dialect}`, () => {
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

    it('renames later duplicates with a suffix, then refuses a taken name', async () => {
      const { error } = await new Migrator({ db: db.kysely, provider: { getMigrations: async () => BEFORE } }).migrateToLatest();
      if (error) throw error;
      const raw = db.kysely as unknown as import('kysely').Kysely<any>;
      const ns = (id: string, name: string, minute: number) => ({ id, name, limits: '{}', created_at: at(minute) });
      await raw
        .insertInto('namespaces')
        .values([ns('ns_1', 'team', 1), ns('ns_2', 'team', 2), ns('ns_3', 'team (2)', 0), ns('ns_4', 'team', 3), ns('ns_5', 'other', 4)])
        .execute();
      await migrateToLatest(db);
      const rows = await raw.selectFrom('namespaces').select(['id', 'name']).orderBy('id').execute();
      assert.deepEqual(Object.fromEntries(rows.map((r: { id: string; name: string }) => [r.id, r.name])), {
        ns_1: 'team',
        ns_2: 'team (3)', // "team (2)" was already taken
        ns_3: 'team (2)',
        ns_4: 'team (4)',
        ns_5: 'other',
      });
      const err = await raw.insertInto('namespaces').values(ns('ns_6', 'team', 5)).execute().then(() => null, (e: unknown) => e);
      assert.ok(isUniqueViolation(err), `expected a unique violation, got ${String(err)}`);
    });
  });
}

/**
 * Migration 0010 makes namespace names unique per instance, on both dialects, on a
 * database that already holds duplicates: the oldest keeps its name, later ones get a
 * suffix, the migration never fails on them, and the index then refuses a taken name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUniqueViolation, migrateToLatest, migrateUpTo, type Dialect } from '../../src/db/database.js';
import { useFreshDatabase } from '../helpers/databases.js';
import { at } from '../helpers/rows.js';

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  describe(`migration 0010-namespace-name-unique on ${dialect}`, () => {
    const database = useFreshDatabase(dialect);

    it('renames later duplicates with a suffix, then refuses a taken name', async () => {
      const db = database();
      await migrateUpTo(db, '0009-multipart');
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

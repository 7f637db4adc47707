import { sql, type Kysely } from 'kysely';
import { aliasKey } from '../../lib/alias-key.js';

/**
 * Aliases are unique by their folded form (src/lib/alias-key.ts), not as typed: the
 * unique index moves from `alias` to `alias_key`. Existing rows are keyed in creation
 * order; an alias that folds onto an older one (possible only before this migration) keeps
 * its text but gets no key, so it no longer resolves and cannot block anyone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('assets').addColumn('alias_key', 'text').execute();
  const rows = await sql<{ id: string; namespace_id: string; alias: string }>`
    select id, namespace_id, alias from assets where alias is not null order by created_at, id`.execute(db);
  const taken = new Set<string>();
  for (const row of rows.rows) {
    const key = aliasKey(row.alias);
    const scoped = `${row.namespace_id}\u0000${key}`;
    if (taken.has(scoped)) continue;
    taken.add(scoped);
    await sql`update assets set alias_key = ${key} where id = ${row.id}`.execute(db);
  }
  await db.schema.dropIndex('assets_ns_alias').execute();
  // NULL keys are distinct on both dialects, so only real aliases collide.
  await db.schema.createIndex('assets_ns_alias_key').on('assets').columns(['namespace_id', 'alias_key']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('assets_ns_alias_key').execute();
  await db.schema.createIndex('assets_ns_alias').on('assets').columns(['namespace_id', 'alias']).unique().execute();
  await db.schema.alterTable('assets').dropColumn('alias_key').execute();
}

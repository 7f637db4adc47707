import { sql, type Kysely } from 'kysely';

/**
 * Namespace names are unique per instance (an admin picks a namespace by its name, the
 * CLI's `namespace ls` lists them by it). Names taken more than once before this migration
 * keep the oldest as it is; later ones get a " (2)", " (3)"… suffix first, so the unique
 * index never fails to build on an existing database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const rows = await sql<{ id: string; name: string }>`select id, name from namespaces order by created_at, id`.execute(db);
  const taken = new Set(rows.rows.map((r) => r.name));
  const seen = new Set<string>();
  for (const row of rows.rows) {
    if (!seen.has(row.name)) {
      seen.add(row.name);
      continue;
    }
    let n = 2;
    let renamed: string;
    do {
      const suffix = ` (${n++})`;
      renamed = `${row.name.slice(0, 100 - suffix.length)}${suffix}`;
    } while (taken.has(renamed));
    taken.add(renamed);
    seen.add(renamed);
    await sql`update namespaces set name = ${renamed} where id = ${row.id}`.execute(db);
  }
  await db.schema.createIndex('namespaces_name_unique').on('namespaces').column('name').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('namespaces_name_unique').execute();
}

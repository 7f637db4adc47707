import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Every upload session gets a UUID besides its id, for clients whose API types upload ids
 * as UUIDs (docs/COMPAT.md): `uuid`, unique, accepted by GET and DELETE /v1/uploads/{id}
 * and the compatibility routes that show it. Existing rows get one each.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('uuid', 'text').execute();
  const rows = await sql<{ id: string }>`select id from uploads`.execute(db);
  for (const row of rows.rows) await sql`update uploads set uuid = ${randomUUID()} where id = ${row.id}`.execute(db);
  await db.schema.createIndex('uploads_uuid').on('uploads').column('uuid').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('uploads_uuid').execute();
  await db.schema.alterTable('uploads').dropColumn('uuid').execute();
}

import type { Kysely } from 'kysely';

/**
 * tus concatenation: `partial` marks a session whose bytes only ever become part of a final
 * upload (it is never completed on its own); `final` one assembled from partial uploads.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload_transfers').addColumn('concat', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('upload_transfers').dropColumn('concat').execute();
}

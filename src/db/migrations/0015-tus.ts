import type { Kysely } from 'kysely';

/**
 * How some sessions' bytes travel, kept beside their upload row (and deleted with it):
 * a tus session's Upload-Metadata header (echoed on HEAD, as tus requires) and whether
 * its length is still deferred (creation-defer-length); an import's source URL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upload_transfers')
    .addColumn('upload_id', 'text', (c) => c.primaryKey().references('uploads.id').onDelete('cascade'))
    .addColumn('tus_metadata', 'text')
    .addColumn('length_deferred', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source_url', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('upload_transfers').execute();
}

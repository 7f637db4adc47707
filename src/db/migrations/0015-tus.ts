import type { Kysely } from 'kysely';

/**
 * What a tus session keeps beside its upload row: the client's Upload-Metadata header (to
 * echo on HEAD, as tus requires) and whether its length is still deferred
 * (creation-defer-length). Goes with its upload row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tus_uploads')
    .addColumn('upload_id', 'text', (c) => c.primaryKey().references('uploads.id').onDelete('cascade'))
    .addColumn('metadata', 'text')
    .addColumn('length_deferred', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tus_uploads').execute();
}

import type { Kysely } from 'kysely';

/**
 * A resumable session's multipart upload in storage (S3's UploadId, or the local driver's
 * parts folder). Null for simple sessions, and once the parts have been assembled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('multipart_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').dropColumn('multipart_id').execute();
}

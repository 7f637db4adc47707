import type { Kysely } from 'kysely';

/** Reconciliation asks "does a blob use this storage key?" for every stored object. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('blobs_storage_key').on('blobs').column('storage_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('blobs_storage_key').execute();
}

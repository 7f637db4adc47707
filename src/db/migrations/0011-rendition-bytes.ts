import { sql, type Kysely } from 'kysely';

/**
 * Renditions (sources without a blob: transcodes, posters, thumbnails, previews) now count
 * in `stored_bytes`: add what is already stored, so deleting such an asset later subtracts
 * only what was added.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE namespaces SET stored_bytes = stored_bytes + COALESCE((SELECT SUM(filesize) FROM sources WHERE sources.namespace_id = namespaces.id AND sources.blob_id IS NULL), 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE namespaces SET stored_bytes = stored_bytes - COALESCE((SELECT SUM(filesize) FROM sources WHERE sources.namespace_id = namespaces.id AND sources.blob_id IS NULL), 0)`.execute(db);
}

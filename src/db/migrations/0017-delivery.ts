import type { Kysely } from 'kysely';

/**
 * Delivery: an asset's placeholder (ThumbHash, base64) and dominant colour; a namespace's
 * named transform presets (JSON object, name → parameters); and `derivatives`, the images
 * made on demand by transform URLs, one row per stored file, so their bytes count in the
 * quota and leave with the asset.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('assets').addColumn('thumbhash', 'text').execute();
  await db.schema.alterTable('assets').addColumn('color', 'text').execute();
  await db.schema.alterTable('namespaces').addColumn('presets', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema
    .createTable('derivatives')
    .addColumn('storage_key', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('namespace_id', 'text', (c) => c.notNull())
    .addColumn('mimetype', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('derivatives_asset').on('derivatives').column('asset_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('derivatives').execute();
  await db.schema.alterTable('namespaces').dropColumn('presets').execute();
  await db.schema.alterTable('assets').dropColumn('color').execute();
  await db.schema.alterTable('assets').dropColumn('thumbhash').execute();
}

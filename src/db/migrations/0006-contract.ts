import { sql, type Kysely } from 'kysely';

/**
 * The rest of the contract: uploads kept without an asset (`create_asset: false`) hold
 * their verified content (blob) and probed facts until attached; sources made from such
 * uploads hold a blob reference; public delivery per namespace; a key's last 4 characters.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('create_asset', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('uploads').addColumn('blob_id', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('media', 'text').execute();
  await db.schema.alterTable('sources').addColumn('blob_id', 'text').execute();
  await db.schema.alterTable('namespaces').addColumn('public_delivery', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('api_keys').addColumn('key_last4', 'text').execute();
  // The sweeper looks for completed uploads nobody attached. Partial (both dialects support
  // it), so the ordinary sessions created on the hot path never touch this index.
  await db.schema.createIndex('uploads_unattached').on('uploads').columns(['status', 'completed_at']).where(sql<boolean>`asset_id = ''`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('uploads_unattached').execute();
  for (const [table, column] of [
    ['uploads', 'create_asset'],
    ['uploads', 'blob_id'],
    ['uploads', 'media'],
    ['sources', 'blob_id'],
    ['namespaces', 'public_delivery'],
    ['api_keys', 'key_last4'],
  ] as const) {
    await db.schema.alterTable(table).dropColumn(column).execute();
  }
}

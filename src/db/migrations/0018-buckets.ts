import type { Kysely } from 'kysely';

/**
 * Buckets: named groups of assets in a namespace, with an optional schema of typed
 * properties and an optional unique key (metadata fields no two of its assets share).
 * An upload may target a bucket (the property its file fills, tracking metadata); an
 * asset belongs to at most one, and `(bucket_id, unique_key)` is unique so two racing
 * sessions cannot both make an asset with the same key values. `tasks` name the async
 * verification a complete queued, so a client can follow it by id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('buckets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('schema', 'text')
    .addColumn('unique_key', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('buckets_namespace_name').on('buckets').columns(['namespace_id', 'name']).unique().execute();
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.notNull())
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tasks_upload').on('tasks').column('upload_id').execute();
  await db.schema.alterTable('uploads').addColumn('bucket_id', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('bucket_property', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('upload_metadata', 'text').execute();
  await db.schema.createIndex('uploads_content').on('uploads').columns(['namespace_id', 'received_sha256']).execute();
  await db.schema.alterTable('assets').addColumn('bucket_id', 'text').execute();
  await db.schema.alterTable('assets').addColumn('unique_key', 'text').execute();
  await db.schema.createIndex('assets_bucket_unique_key').on('assets').columns(['bucket_id', 'unique_key']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('assets_bucket_unique_key').execute();
  await db.schema.alterTable('assets').dropColumn('unique_key').execute();
  await db.schema.alterTable('assets').dropColumn('bucket_id').execute();
  await db.schema.dropIndex('uploads_content').execute();
  await db.schema.alterTable('uploads').dropColumn('upload_metadata').execute();
  await db.schema.alterTable('uploads').dropColumn('bucket_property').execute();
  await db.schema.alterTable('uploads').dropColumn('bucket_id').execute();
  await db.schema.dropTable('tasks').execute();
  await db.schema.dropTable('buckets').execute();
}

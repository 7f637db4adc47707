import type { Kysely } from 'kysely';

// Portable schema builder only: the same migration runs on SQLite and PostgreSQL.
// Sizes are bigint (PostgreSQL int8, parsed to number in database.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('namespaces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('quota_bytes', 'bigint')
    .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.references('namespaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.notNull().references('namespaces.id').onDelete('cascade'))
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('file_size', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('resumable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('part_size', 'bigint')
    .addColumn('file_hash', 'text')
    .addColumn('skip_duplicates', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('error_details', 'text')
    .addColumn('conditions', 'text')
    .addColumn('hints', 'text')
    .addColumn('reserved_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('received_size', 'bigint')
    .addColumn('received_sha256', 'text')
    .addColumn('received_etag', 'text')
    .addColumn('is_duplicate', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duplicate_of', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('uploads_ns_created').on('uploads').columns(['namespace_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('uploads_status_expires').on('uploads').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('blobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.notNull().references('namespaces.id').onDelete('cascade'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('ref_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // The verified content hash is unique per namespace: dedupe is kept by the database.
  await db.schema.createIndex('blobs_ns_sha256').on('blobs').columns(['namespace_id', 'sha256']).unique().execute();

  await db.schema
    .createTable('assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace_id', 'text', (c) => c.notNull().references('namespaces.id').onDelete('cascade'))
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.references('blobs.id'))
    .addColumn('storage_key', 'text')
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mimetype', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('duration', 'double precision')
    .addColumn('fps', 'double precision')
    .addColumn('bitrate', 'bigint')
    .addColumn('filesize', 'bigint')
    .addColumn('sha256', 'text')
    .addColumn('title', 'text')
    .addColumn('alias', 'text')
    .addColumn('folder', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // NULL aliases are distinct on both dialects, so only real aliases collide.
  await db.schema.createIndex('assets_ns_alias').on('assets').columns(['namespace_id', 'alias']).unique().execute();
  await db.schema.createIndex('assets_ns_created').on('assets').columns(['namespace_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('assets_blob').on('assets').column('blob_id').execute();

  await db.schema
    .createTable('sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('namespace_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('mimetype', 'text', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('duration', 'double precision')
    .addColumn('filesize', 'bigint', (c) => c.notNull())
    .addColumn('bitrate', 'bigint')
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sources_asset').on('sources').column('asset_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sources', 'assets', 'blobs', 'uploads', 'api_keys', 'namespaces']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

import { sql, type Kysely } from 'kysely';
import type { BlobRow, Database } from '../schema.js';

export class BlobsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByHash(namespaceId: string, sha256: string): Promise<BlobRow | undefined> {
    return this.db
      .selectFrom('blobs')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  }

  async findByStorageKey(storageKey: string): Promise<BlobRow | undefined> {
    return this.db.selectFrom('blobs').selectAll().where('storage_key', '=', storageKey).executeTakeFirst();
  }

  async find(id: string): Promise<BlobRow | undefined> {
    return this.db.selectFrom('blobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Inserts a new blob with one reference; throws a unique violation if the hash exists. */
  async insert(row: Omit<BlobRow, 'ref_count'>): Promise<void> {
    await this.db.insertInto('blobs').values({ ...row, ref_count: 1 }).execute();
  }

  /** False when the blob is gone (its last reference was released meanwhile). */
  async addRef(id: string): Promise<boolean> {
    const res = await this.db.updateTable('blobs').set({ ref_count: sql`ref_count + 1` }).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Drops one reference; returns the blob if that was its last, after deleting its row.
   * The delete is conditional, so of two racing releases only one is handed the row.
   */
  async release(id: string): Promise<BlobRow | undefined> {
    await this.db.updateTable('blobs').set({ ref_count: sql`ref_count - 1` }).where('id', '=', id).execute();
    return this.db.deleteFrom('blobs').where('id', '=', id).where('ref_count', '<=', 0).returningAll().executeTakeFirst();
  }
}

import type { Insertable, Kysely, Updateable } from 'kysely';
import type { BucketRow, BucketsTable, Database } from '../schema.js';
import { olderThan, type PageCursor } from './page.js';

/** Buckets, always scoped to their namespace. */
export class BucketsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: Insertable<BucketsTable>): Promise<void> {
    await this.db.insertInto('buckets').values(row).execute();
  }

  async find(namespaceId: string, id: string): Promise<BucketRow | undefined> {
    return this.db.selectFrom('buckets').selectAll().where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
  }

  async list(namespaceId: string, opts: { limit: number; after?: PageCursor }): Promise<BucketRow[]> {
    let q = this.db.selectFrom('buckets').selectAll().where('namespace_id', '=', namespaceId);
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  async update(namespaceId: string, id: string, patch: Updateable<BucketsTable>): Promise<boolean> {
    const res = await this.db.updateTable('buckets').set(patch).where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Deletes the bucket only while no asset and no session refers to it; false otherwise (or when absent). */
  async deleteIfEmpty(namespaceId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('buckets')
      .where('id', '=', id)
      .where('namespace_id', '=', namespaceId)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('assets').select('assets.id').where('assets.bucket_id', '=', id))),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('uploads').select('uploads.id').where('uploads.bucket_id', '=', id).where('uploads.status', 'in', ['pending', 'uploading', 'processing', 'storing']))),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}

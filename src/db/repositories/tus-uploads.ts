import type { Kysely } from 'kysely';
import type { Database, TusUploadRow } from '../schema.js';

export class TusUploadsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: TusUploadRow): Promise<void> {
    await this.db.insertInto('tus_uploads').values(row).execute();
  }

  async find(uploadId: string): Promise<TusUploadRow | undefined> {
    return this.db.selectFrom('tus_uploads').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
  }

  /** The deferred length was declared: true only for the one request that did it. */
  async lengthDeclared(uploadId: string): Promise<boolean> {
    const res = await this.db.updateTable('tus_uploads').set({ length_deferred: 0 }).where('upload_id', '=', uploadId).where('length_deferred', '=', 1).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

import type { Kysely } from 'kysely';
import type { Database, TransferRow } from '../schema.js';

export class TransfersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: TransferRow): Promise<void> {
    await this.db.insertInto('upload_transfers').values(row).execute();
  }

  async find(uploadId: string): Promise<TransferRow | undefined> {
    return this.db.selectFrom('upload_transfers').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
  }

  /** The deferred length was declared: true only for the one request that did it. */
  async lengthDeclared(uploadId: string): Promise<boolean> {
    const res = await this.db.updateTable('upload_transfers').set({ length_deferred: 0 }).where('upload_id', '=', uploadId).where('length_deferred', '=', 1).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

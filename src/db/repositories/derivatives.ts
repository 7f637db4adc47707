import { sql, type Kysely } from 'kysely';
import type { Database, DerivativeRow } from '../schema.js';
import { prepare } from '../prepared.js';

// Every cached transform served by its signed URL runs it: prepared once (see db/prepared.ts).
const findByFile = prepare((db: Kysely<Database>, assetId: string, file: string) =>
  db
    .selectFrom('derivatives')
    .innerJoin('assets', 'assets.id', 'derivatives.asset_id')
    .selectAll('derivatives')
    .where('derivatives.asset_id', '=', assetId)
    .where('derivatives.storage_key', '=', sql<string>`assets.namespace_id || '/' || assets.id || '/t/' || ${file}`),
);

/** Images made on demand by transform URLs: one row per stored file, so its bytes count and leave with the asset. */
export class DerivativesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(storageKey: string): Promise<DerivativeRow | undefined> {
    return this.db.selectFrom('derivatives').selectAll().where('storage_key', '=', storageKey).executeTakeFirst();
  }

  /** An asset's file `<ns>/<asset>/t/<file>` in one query, the namespace read from the asset's row in it. */
  async findByFile(assetId: string, file: string): Promise<DerivativeRow | undefined> {
    return (await findByFile(this.db, assetId, file)).rows[0];
  }

  /** Records a file; false when another render recorded the same key first (its bytes are the same). */
  async insert(row: DerivativeRow): Promise<boolean> {
    const res = await this.db.insertInto('derivatives').values(row).onConflict((oc) => oc.column('storage_key').doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Removes an asset's rows; returns the bytes they held. */
  async deleteForAsset(assetId: string): Promise<number> {
    const rows = await this.db.deleteFrom('derivatives').where('asset_id', '=', assetId).returning('size').execute();
    return rows.reduce((sum, r) => sum + Number(r.size), 0);
  }
}

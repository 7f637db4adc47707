import type { Kysely } from 'kysely';
import type { Insertable } from 'kysely';
import { aliasKey } from '../../lib/alias-key.js';
import type { AssetPatch, AssetRow, AssetStatus, Database, NewAsset, SourceRow, SourcesTable } from '../schema.js';
import { olderThan, type PageCursor } from './page.js';
import { preparedInsert } from '../prepared.js';

// Every session create inserts its pending asset: prepared once (see db/prepared.ts).
const insertAsset = preparedInsert('assets');

export interface AssetFilter {
  folder?: string;
  kind?: string;
  status?: AssetStatus;
}

export class AssetsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The alias key is derived here, so no writer can store an alias without it. */
  async insert(row: NewAsset): Promise<void> {
    await insertAsset(this.db, { ...row, alias_key: row.alias ? aliasKey(row.alias) : null });
  }

  async find(namespaceId: string, id: string): Promise<AssetRow | undefined> {
    return this.db
      .selectFrom('assets')
      .selectAll()
      .where('id', '=', id)
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
  }

  /** The one place an alias is looked up (create, skip, by-alias, public delivery): by its folded key, so any case or normalisation form finds it. */
  async findByAlias(namespaceId: string, alias: string): Promise<AssetRow | undefined> {
    return this.db.selectFrom('assets').selectAll().where('namespace_id', '=', namespaceId).where('alias_key', '=', aliasKey(alias)).executeTakeFirst();
  }

  /** The first asset in the namespace (in `bucketId`, when given) that uses the blob with this content hash. */
  async findByContent(namespaceId: string, sha256: string, bucketId?: string): Promise<AssetRow | undefined> {
    let q = this.db.selectFrom('assets').selectAll().where('namespace_id', '=', namespaceId);
    if (bucketId) q = q.where('bucket_id', '=', bucketId);
    return q
      .where('sha256', '=', sha256)
      .where('blob_id', 'is not', null)
      .where('status', 'in', ['ready', 'processing'])
      .orderBy('created_at', 'asc')
      .executeTakeFirst();
  }

  /** The asset of the bucket holding these unique-key values. */
  async findByUniqueKey(namespaceId: string, bucketId: string, uniqueKey: string): Promise<AssetRow | undefined> {
    return this.db.selectFrom('assets').selectAll().where('namespace_id', '=', namespaceId).where('bucket_id', '=', bucketId).where('unique_key', '=', uniqueKey).executeTakeFirst();
  }

  async update(namespaceId: string, id: string, patch: AssetPatch): Promise<boolean> {
    const keyed = patch.alias === undefined ? patch : { ...patch, alias_key: patch.alias ? aliasKey(patch.alias) : null };
    const res = await this.db
      .updateTable('assets')
      .set(keyed)
      .where('id', '=', id)
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async delete(namespaceId: string, id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('assets').where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  async list(namespaceId: string, filter: AssetFilter, opts: { limit: number; after?: PageCursor }): Promise<AssetRow[]> {
    let q = this.db.selectFrom('assets').selectAll().where('namespace_id', '=', namespaceId);
    if (filter.folder) q = q.where('folder', '=', filter.folder);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  async listSources(assetId: string): Promise<SourceRow[]> {
    return this.db.selectFrom('sources').selectAll().where('asset_id', '=', assetId).orderBy('created_at').execute();
  }

  async insertSource(row: Insertable<SourcesTable>): Promise<void> {
    await this.db.insertInto('sources').values(row).execute();
  }

  async deleteSources(assetId: string): Promise<void> {
    await this.db.deleteFrom('sources').where('asset_id', '=', assetId).execute();
  }

  /** Unscoped read, for jobs: their payload names the asset and they reload it. */
  async findById(id: string): Promise<AssetRow | undefined> {
    return this.db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Conditional update: applies only while the asset is in one of `from`; true if it did. */
  async transition(id: string, from: readonly AssetStatus[], patch: AssetPatch): Promise<boolean> {
    const res = await this.db.updateTable('assets').set(patch).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async deleteSource(id: string): Promise<void> {
    await this.db.deleteFrom('sources').where('id', '=', id).execute();
  }
}

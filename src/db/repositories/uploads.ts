import { sql, type Kysely } from 'kysely';
import { NO_ASSET, OPEN_STATUSES, type Database, type NewUpload, type UploadPatch, type UploadRow, type UploadStatus } from '../schema.js';
import { olderThan, type PageCursor } from './page.js';
import { preparedInsert } from '../prepared.js';

// Every session create inserts one: prepared once (see db/prepared.ts).
const insertUpload = preparedInsert('uploads');

export class UploadsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewUpload): Promise<void> {
    await insertUpload(this.db, row as Record<string, unknown>);
  }

  async find(namespaceId: string, id: string): Promise<UploadRow | undefined> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id)
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
  }

  async findByUuid(namespaceId: string, uuid: string): Promise<UploadRow | undefined> {
    return this.db.selectFrom('uploads').selectAll().where('uuid', '=', uuid.toLowerCase()).where('namespace_id', '=', namespaceId).executeTakeFirst();
  }

  /** Unscoped read, for signed-URL handlers whose signature already names the upload. */
  async findById(id: string): Promise<UploadRow | undefined> {
    return this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Conditional update: applies only while the upload is in one of `from`; true if it did. */
  async transition(id: string, from: readonly UploadStatus[], patch: UploadPatch): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set(patch)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * A part of a resumable session arrived: `uploading`, only while the session is open and
   * still owns that multipart upload (not assembled or replaced). True if it did.
   */
  async partReceived(id: string, multipartId: string, now: string): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ status: 'uploading', updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', OPEN_STATUSES)
      .where('multipart_id', '=', multipartId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Adds to the session's reservation (quota its streamed bytes took on the way). */
  async addReservation(id: string, bytes: number): Promise<void> {
    await this.db.updateTable('uploads').set({ reserved_bytes: sql`reserved_bytes + ${bytes}` }).where('id', '=', id).execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
    await this.db.deleteFrom('tasks').where('upload_id', '=', id).execute();
  }

  /** The earliest other session of the namespace whose verified bytes have this SHA-256 (what a confirm-time duplicate is a duplicate of). */
  async firstWithContent(namespaceId: string, sha256: string, excludeId: string): Promise<UploadRow | undefined> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('received_sha256', '=', sha256)
      .where('id', '!=', excludeId)
      .where('status', 'in', ['processing', 'storing', 'completed'])
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .executeTakeFirst();
  }

  /**
   * Takes over the verification of a `processing` session whose lease ran out (its holder
   * died, or an async complete left it to a job): true for exactly one caller.
   */
  async takeLease(id: string, token: string, now: string, until: string): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ lease_token: token, lease_until: until, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('lease_until', 'is not', null)
      .where('lease_until', '<=', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Keeps the verification lease until `until`, if `token` still holds it; false if another took it over. */
  async renewLease(id: string, token: string, until: string): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ lease_until: until })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Ends a verification: applies `patch` only while `token` holds the session's lease. */
  async finishLeased(id: string, token: string, patch: UploadPatch): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ ...patch, lease_token: null, lease_until: null })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Sessions still being verified whose lease ran out before `now` (the holder died, or a job has yet to take it). */
  async listLeaseExpired(now: string, limit: number): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .leftJoin('assets', 'assets.id', 'uploads.asset_id')
      .selectAll('uploads')
      .where('uploads.status', '=', 'processing')
      .where('uploads.lease_until', '<=', now)
      // A detached session (no asset) in processing is always still verifying.
      .where((eb) => eb.or([eb('assets.status', '=', 'pending'), eb('uploads.asset_id', '=', NO_ASSET)]))
      .orderBy('uploads.lease_until')
      .limit(limit)
      .execute();
  }

  async update(id: string, patch: UploadPatch): Promise<void> {
    await this.db.updateTable('uploads').set(patch).where('id', '=', id).execute();
  }

  /** Sets reserved_bytes to 0 and returns what it was (0 if already released). */
  async takeReservation(id: string): Promise<number> {
    const row = await this.db.selectFrom('uploads').select('reserved_bytes').where('id', '=', id).executeTakeFirst();
    if (!row || row.reserved_bytes === 0) return 0;
    const res = await this.db
      .updateTable('uploads')
      .set({ reserved_bytes: 0 })
      .where('id', '=', id)
      .where('reserved_bytes', '=', row.reserved_bytes)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? row.reserved_bytes : 0;
  }

  async list(namespaceId: string, opts: { limit: number; status?: UploadStatus; kind?: string; after?: PageCursor }): Promise<UploadRow[]> {
    let q = this.db.selectFrom('uploads').selectAll().where('namespace_id', '=', namespaceId);
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.kind) q = q.where('kind', '=', opts.kind);
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  /** Open sessions whose expiry has passed. */
  async listExpired(now: string, limit: number): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('status', 'in', OPEN_STATUSES)
      .where('expires_at', '<', now)
      // Form uploads hold accepted bytes: they are completed, never expired.
      .where((eb) => eb.or([eb('method', '!=', 'form'), eb('received_size', 'is', null)]))
      .limit(limit)
      .execute();
  }

  /** Form uploads whose bytes arrived but whose completion never ran (a crash in between). */
  async listReceivedUncompleted(limit: number): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('method', '=', 'form')
      .where('status', '=', 'pending')
      .where('received_size', 'is not', null)
      .orderBy('updated_at', 'asc')
      .limit(limit)
      .execute();
  }

  /**
   * Attaches a detached, completed upload to `assetId`: conditional, so an upload is
   * attached once and never after the sweeper took it. False if it was not attachable.
   */
  async attach(namespaceId: string, id: string, assetId: string, now: string): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ asset_id: assetId, updated_at: now })
      .where('id', '=', id)
      .where('namespace_id', '=', namespaceId)
      .where('create_asset', '=', 0)
      .where('asset_id', '=', NO_ASSET)
      .where('status', '=', 'completed')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Completed `create_asset: false` uploads nobody attached, completed before `cutoff`. */
  async listUnattachedBefore(cutoff: string, limit: number): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      // A literal, not a parameter: the planner then sees the partial index's predicate.
      .where(sql<boolean>`asset_id = ''`)
      .where('create_asset', '=', 0)
      .where('status', '=', 'completed')
      .where('completed_at', '<', cutoff)
      .limit(limit)
      .execute();
  }

  /** Deletes a still unattached upload; false if it was attached meanwhile (the attach won). */
  async removeUnattached(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('uploads').where('id', '=', id).where('asset_id', '=', NO_ASSET).executeTakeFirst();
    if (Number(res.numDeletedRows) !== 1) return false;
    await this.db.deleteFrom('tasks').where('upload_id', '=', id).execute();
    return true;
  }

  /** Failed, canceled and expired sessions last changed before `cutoff`: due for purging. */
  async listFinishedBefore(cutoff: string, limit: number): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('status', 'in', ['failed', 'canceled', 'expired'])
      .where('updated_at', '<', cutoff)
      .limit(limit)
      .execute();
  }
}

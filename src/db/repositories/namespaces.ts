import { sql, type Kysely } from 'kysely';
import type { Database, NamespaceRow } from '../schema.js';
import { olderThan, type PageCursor } from './page.js';
import { prepare } from '../prepared.js';

// The quota reservation of every session create, prepared once (see db/prepared.ts).
const reserveBytes = prepare((db: Kysely<Database>, id: string, bytes: number) =>
  db
    .updateTable('namespaces')
    .set({ reserved_bytes: sql`reserved_bytes + ${bytes}` })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('quota_bytes', 'is', null), eb(sql`stored_bytes + reserved_bytes + ${bytes}`, '<=', eb.ref('quota_bytes'))])),
);

export class NamespacesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: { id: string; name: string; quota_bytes: number | null; limits: string; created_at: string }): Promise<void> {
    await this.db.insertInto('namespaces').values(row).execute();
  }

  async find(id: string): Promise<NamespaceRow | undefined> {
    return this.db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first, for the admin listing. */
  async list(opts: { limit: number; after?: PageCursor }): Promise<NamespaceRow[]> {
    let q = this.db.selectFrom('namespaces').selectAll();
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  /** Changes settings only (never the counters); false if there is no such namespace. */
  async updateSettings(id: string, patch: { name?: string; quota_bytes?: number | null; limits?: string; public_delivery?: number; presets?: string }): Promise<boolean> {
    const res = await this.db.updateTable('namespaces').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Reserves `bytes` only if stored + reserved + bytes stays within the quota; false if not. */
  async reserve(id: string, bytes: number): Promise<boolean> {
    const res = await reserveBytes(this.db, id, bytes);
    return Number(res.numAffectedRows) === 1;
  }

  /** Moves counters: `reserved` leaves the reservation, `stored` is added to stored bytes (either may be negative). */
  async adjust(id: string, change: { reserved?: number; stored?: number }): Promise<void> {
    await this.db
      .updateTable('namespaces')
      .set({
        reserved_bytes: sql`reserved_bytes + ${change.reserved ?? 0}`,
        stored_bytes: sql`stored_bytes + ${change.stored ?? 0}`,
      })
      .where('id', '=', id)
      .execute();
  }
}

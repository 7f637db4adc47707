import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Leases by conditional update: whoever moves `expires_at` while it is past holds it. */
export class LeasesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Takes lease `name` for `holder` until `until`; false while a lease runs (its own holder's too: renew with extend()). */
  async acquire(name: string, holder: string, now: string, until: string): Promise<boolean> {
    await this.db
      .insertInto('leases')
      .values({ name, holder, expires_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const res = await this.db
      .updateTable('leases')
      .set({ holder, expires_at: until })
      .where('name', '=', name)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Keeps the lease until `until` (shorter or longer), if `holder` still holds it. */
  async extend(name: string, holder: string, until: string): Promise<void> {
    await this.db.updateTable('leases').set({ expires_at: until }).where('name', '=', name).where('holder', '=', holder).execute();
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** No process holds the lease: its last run finished; `expires_at` is then when the next is due. */
const IDLE = '';

/** Leases by conditional update: whoever moves `expires_at` while it is past holds it. */
export class LeasesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes lease `name` for `holder` until `until`; false while a lease runs (its own holder's
   * too: renew with extend()). With `ifIdle`, also takes one released before its time ran out
   * (a run on demand that need not wait until the next is due, but never overlaps one).
   */
  async acquire(name: string, holder: string, now: string, until: string, opts: { ifIdle?: boolean } = {}): Promise<boolean> {
    await this.db
      .insertInto('leases')
      .values({ name, holder: IDLE, expires_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const res = await this.db
      .updateTable('leases')
      .set({ holder, expires_at: until })
      .where('name', '=', name)
      .where((eb) => (opts.ifIdle ? eb.or([eb('expires_at', '<=', now), eb('holder', '=', IDLE)]) : eb('expires_at', '<=', now)))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Keeps the lease until `until` (shorter or longer), if `holder` still holds it; false if it does not. */
  async extend(name: string, holder: string, until: string): Promise<boolean> {
    const res = await this.db.updateTable('leases').set({ expires_at: until }).where('name', '=', name).where('holder', '=', holder).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Ends `holder`'s run: nobody holds the lease, and a periodic acquire waits until `nextDue`. */
  async release(name: string, holder: string, nextDue: string): Promise<void> {
    await this.db.updateTable('leases').set({ holder: IDLE, expires_at: nextDue }).where('name', '=', name).where('holder', '=', holder).execute();
  }
}

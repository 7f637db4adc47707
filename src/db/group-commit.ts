/**
 * Group commit for SQLite: short write transactions that arrive together share one
 * database transaction, each inside its own savepoint. A caller's writes still commit or
 * roll back alone (a failed quota check or a taken alias rolls back to its savepoint and
 * rejects only that caller), but the commit, the costliest step (writing every touched
 * page to the WAL), is paid
 * once per group instead of once per caller.
 *
 * SQLite has one connection, so its transactions run one after another anyway: grouping
 * them adds no lock waits. The group forms while the previous one commits (and within one
 * event-loop turn of an idle database), so a lone caller waits no longer than before.
 * A failed commit rejects every caller of its group: none of their writes happened.
 */
import type { ControlledTransaction, Kysely } from 'kysely';
import type { Database } from './schema.js';

interface Waiting {
  fn: (trx: Kysely<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

const MAX_GROUP = 64;
const SAVEPOINT = 'grouped_write';

export class GroupCommit {
  private queue: Array<Waiting> = [];
  private draining = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `fn` in a transaction shared with concurrent callers; resolves once its writes are committed. */
  run<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) await this.commit(this.queue.splice(0, MAX_GROUP));
    this.draining = false;
  }

  private async commit(group: Array<Waiting>): Promise<void> {
    let outcomes: Outcome[];
    try {
      const trx = await this.db.startTransaction().execute();
      try {
        // A lone caller needs no savepoint: if it fails, the transaction rolls back below.
        outcomes = group.length === 1 ? [{ ok: true, value: await group[0]!.fn(trx) }] : await eachInSavepoint(trx, group);
        await trx.commit().execute();
      } catch (err) {
        await trx.rollback().execute().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    group.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value);
      else w.reject(o.err);
    });
  }
}

async function settle(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, err };
  }
}

async function eachInSavepoint(trx: ControlledTransaction<Database>, group: Array<Waiting>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const w of group) {
    const sp = await trx.savepoint(SAVEPOINT).execute();
    const o = await settle(w.fn(sp));
    if (!o.ok) await sp.rollbackToSavepoint(SAVEPOINT).execute();
    await sp.releaseSavepoint(SAVEPOINT).execute();
    outcomes.push(o);
  }
  return outcomes;
}

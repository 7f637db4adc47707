import { sql, type Kysely } from 'kysely';
import type { Database, JobOutboxRow, JobRow } from '../schema.js';

export interface NewJob {
  id: string;
  queue: string;
  name: string;
  payload: string;
  max_attempts: number;
  run_at: string;
  now: string;
}

/** The channel an outbox insert notifies on commit (PostgreSQL), waking the relay. */
export const OUTBOX_CHANNEL = 'intake_job_outbox';

/** The embedded queue's table and the BullMQ outbox. Every state change is conditional on the lease token. */
export class JobsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** PostgreSQL: an outbox insert sends NOTIFY, delivered when its transaction commits. */
    private readonly notifies = false,
  ) {}

  /** Inserts a job; an id already queued is left as it is (enqueueing is idempotent). */
  async insert(job: NewJob): Promise<void> {
    await this.db
      .insertInto('jobs')
      .values({ id: job.id, queue: job.queue, name: job.name, payload: job.payload, status: 'queued', max_attempts: job.max_attempts, run_at: job.run_at, created_at: job.now, updated_at: job.now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** The next job due in `queue`: queued and due, or leased by a worker whose lease ran out. */
  async nextDue(queue: string, now: string): Promise<JobRow | undefined> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where('queue', '=', queue)
      .where((eb) => eb.or([eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]), eb.and([eb('status', '=', 'active'), eb('lease_until', '<', now)])]))
      .orderBy('run_at')
      .limit(1)
      .executeTakeFirst();
  }

  /** Takes the lease only if nobody took it since `seenToken` was read. */
  async lease(id: string, seenToken: string | null, token: string, leaseUntil: string, now: string): Promise<boolean> {
    const res = await this.db
      .updateTable('jobs')
      .set({ status: 'active', lease_token: token, lease_until: leaseUntil, attempts: sql`attempts + 1`, updated_at: now })
      .where('id', '=', id)
      .where('status', '!=', 'failed')
      .where(sql<boolean>`coalesce(lease_token, '') = ${seenToken ?? ''}`)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async extend(id: string, token: string, leaseUntil: string): Promise<boolean> {
    const res = await this.db.updateTable('jobs').set({ lease_until: leaseUntil }).where('id', '=', id).where('lease_token', '=', token).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async remove(id: string, token: string): Promise<void> {
    await this.db.deleteFrom('jobs').where('id', '=', id).where('lease_token', '=', token).execute();
  }

  async retryAt(id: string, token: string, runAt: string, error: string, now: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, lease_token: null, lease_until: null, last_error: error, updated_at: now })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .execute();
  }

  /** Gives a leased job back: queued, due at `now`, this attempt not counted; only while `token` holds it. */
  async release(id: string, token: string, now: string): Promise<boolean> {
    const res = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: now, lease_token: null, lease_until: null, attempts: sql`attempts - 1`, updated_at: now })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Puts a leased job back for later without spending the attempt its lease counted. */
  async defer(id: string, token: string, runAt: string, now: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, lease_token: null, lease_until: null, attempts: sql`attempts - 1`, updated_at: now })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .execute();
  }

  async fail(id: string, token: string | null, error: string, now: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'failed', lease_until: null, last_error: error, updated_at: now })
      .where('id', '=', id)
      .where(sql<boolean>`coalesce(lease_token, '') = ${token ?? ''}`)
      .execute();
  }

  async find(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Jobs by queue and status, for metrics; queued jobs not yet due count as `delayed`. */
  async counts(now: string): Promise<Array<{ queue: string; status: string; n: number }>> {
    const all = await this.db.selectFrom('jobs').select(['queue', 'status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['queue', 'status']).execute();
    const later = await this.db
      .selectFrom('jobs')
      .select(['queue', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'queued').where('run_at', '>', now).groupBy('queue').execute();
    const out = all.map((r) => ({ queue: r.queue, status: r.status as string, n: Number(r.n) }));
    for (const d of later) {
      const queued = out.find((r) => r.queue === d.queue && r.status === 'queued');
      if (queued) queued.n -= Number(d.n);
      out.push({ queue: d.queue, status: 'delayed', n: Number(d.n) });
    }
    return out;
  }

  /** Removes failed jobs last touched before `cutoff` (kept until then for inspection). */
  async purgeFailed(cutoff: string): Promise<number> {
    const res = await this.db.deleteFrom('jobs').where('status', '=', 'failed').where('updated_at', '<', cutoff).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async insertOutbox(row: { id: string; name: string; payload: string; delay_ms: number; created_at: string }): Promise<void> {
    await this.db.insertInto('job_outbox').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
    if (this.notifies) await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(this.db);
  }

  /** Rows not yet handed to BullMQ, oldest first. */
  async listOutbox(limit: number): Promise<JobOutboxRow[]> {
    return this.db.selectFrom('job_outbox').selectAll().where('relayed_at', 'is', null).orderBy('created_at').limit(limit).execute();
  }

  /** Rows handed to BullMQ whose job has not finished yet, after `afterId` (for reconciliation, in pages). */
  async listRelayed(afterId: string, limit: number): Promise<JobOutboxRow[]> {
    return this.db.selectFrom('job_outbox').selectAll().where('relayed_at', 'is not', null).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  }

  async findOutbox(id: string): Promise<JobOutboxRow | undefined> {
    return this.db.selectFrom('job_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The row's job is in BullMQ now; the row stays until the job finishes. */
  async markRelayed(id: string, at: string): Promise<void> {
    await this.db.updateTable('job_outbox').set({ relayed_at: at }).where('id', '=', id).execute();
  }

  /** The job finished (or failed for good): nothing left to re-queue. */
  async removeOutbox(id: string): Promise<void> {
    await this.db.deleteFrom('job_outbox').where('id', '=', id).execute();
  }
}

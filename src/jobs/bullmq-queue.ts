/**
 * BullMQ on Redis. An enqueue writes an outbox row in the caller's transaction; a relay
 * hands committed rows to BullMQ with the job key as BullMQ's jobId (so a relay that
 * crashes after adding but before marking adds nothing twice) and marks them relayed. The
 * row stays until its job finishes (deleted by the worker before BullMQ records the end),
 * so the database always knows every unfinished job: reconciliation, on start and every
 * `reconcileMs`, queues again each relayed job Redis no longer has (a restart without
 * persistence, a FLUSHALL, a failover that lost writes).
 *
 * One relay runs at a time, in whichever process holds the `job-relay` lease (renewed
 * every few seconds; a dead holder's is taken over within RELAY_LEASE_MS). It is woken by
 * PostgreSQL's NOTIFY, sent when an enqueuing transaction commits, or on SQLite by a Redis
 * message published just after an enqueue; it also polls slowly, in case a wake-up is lost.
 * BullMQ's locks and stalled-job checks give the same lease semantics as the embedded backend.
 */
import type { EventEmitter } from 'node:events';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Repositories, Store } from '../db/repositories/index.js';
import type { JobOutboxRow } from '../db/schema.js';
import { randomToken } from '../lib/ids.js';
import { backoffMs, DeferJobError, JOBS, PermanentJobError, QUEUES, type Handler, type Job, type JobName, type QueueName } from './catalogue.js';
import type { EnqueueOptions, JobQueue, QueueCounts, WorkerOptions, Workers } from './queue.js';

export interface BullQueueOptions {
  url: string;
  prefix: string;
  leaseMs: number;
  retryBaseMs: number | null;
  /** How often the relay looks at the outbox without being woken (a safety net). */
  relayPollMs?: number;
  /** How often the relay compares the relayed rows with Redis (and once when it takes the lease). */
  reconcileMs?: number;
  /** Wakes the relay when an enqueuing transaction commits (PostgreSQL LISTEN); null: Redis pub/sub instead. */
  listen?: ((onNotify: () => void, onError: (err: unknown) => void) => Promise<{ close(): Promise<void> }> | null) | null;
}

/** A relay whose process died is replaced within this long. */
const RELAY_LEASE_MS = 10_000;
const RELAY_LEASE = 'job-relay';
const RELAY_POLL_MS = 5_000;
const RECONCILE_MS = 30_000;

export class BullQueue implements JobQueue {
  readonly backend = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queues: Record<QueueName, Queue>;
  private relayTimer: NodeJS.Timeout | null = null;
  /** When the pending relay timer fires. */
  private relayDue = 0;
  private relaying: Promise<void> | null = null;
  /** A wake-up came while a relay pass ran: the pass after it starts at once. */
  private relayAgain = false;
  private closed = false;
  /** This process holds the relay lease. */
  private leader = false;
  /** The id this process's relay holds the `job-relay` lease under. */
  readonly holder = `relay-${process.pid}-${randomToken(8)}`;
  private readonly leadTimer: NodeJS.Timeout;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private leading: Promise<void> | null = null;
  /** The notification listener (PostgreSQL) or Redis subscriber waking the relay. */
  private wakeSource: Promise<{ close(): Promise<void> } | null>;

  constructor(
    private readonly store: Store,
    private readonly opts: BullQueueOptions,
    private readonly onError: (err: unknown, context: string) => void = () => undefined,
  ) {
    this.connection = new Redis(opts.url, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', (err) => this.onError(err, 'redis connection'));
    this.queues = Object.fromEntries(
      QUEUES.map((q) => {
        const queue = new Queue(q, { connection: this.connection, prefix: opts.prefix });
        queue.on('error', (err) => this.onError(err, `bullmq queue ${q}`));
        return [q, quietAfterClose(queue)];
      }),
    ) as Record<QueueName, Queue>;
    this.wakeSource = this.startWaking();
    this.leadTimer = setInterval(() => this.lead(), Math.floor(RELAY_LEASE_MS / 3));
    this.leadTimer.unref();
    this.lead();
    this.schedule(0);
  }

  private get wakeChannel(): string {
    return `${this.opts.prefix}:job-outbox`;
  }

  /** PostgreSQL's LISTEN when there is one, else a Redis subscription. */
  private async startWaking(): Promise<{ close(): Promise<void> } | null> {
    const wake = () => this.leader && this.schedule(0);
    const onError = (err: unknown) => this.onError(err, 'job outbox notifications');
    try {
      const listening = this.opts.listen?.(wake, onError);
      if (listening) return await listening;
      const sub = this.connection.duplicate({ maxRetriesPerRequest: null });
      sub.on('error', onError);
      sub.on('message', wake);
      // Not awaited: with Redis down it would wait for a connection, and close() must not.
      sub.subscribe(this.wakeChannel).catch(onError);
      return { close: async () => void sub.disconnect() };
    } catch (err) {
      onError(err);
      return null; // The slow poll relays meanwhile.
    }
  }

  async enqueue(repos: Repositories, job: Job, opts: EnqueueOptions = {}): Promise<void> {
    const key = (JOBS[job.name].key as (p: unknown) => string)(job.payload);
    await repos.jobs.insertOutbox({ id: key, name: job.name, payload: JSON.stringify(job.payload), delay_ms: opts.delayMs ?? 0, created_at: new Date().toISOString() });
    if (this.leader) this.schedule(5);
    // Without NOTIFY, the relay elsewhere is told a moment later, once the caller has likely committed.
    else if (!this.opts.listen) setTimeout(() => void this.connection.publish(this.wakeChannel, '').catch(() => undefined), 20).unref();
  }

  /** Takes or keeps the relay lease; the new holder relays and reconciles at once. */
  private lead(): void {
    if (this.closed || this.leading) return;
    const now = Date.now();
    const until = new Date(now + RELAY_LEASE_MS).toISOString();
    const leases = this.store.leases;
    this.leading = (async () => {
      if (this.leader) {
        this.leader = await leases.extend(RELAY_LEASE, this.holder, until);
        if (!this.leader) this.onError(new Error('lost the relay lease; another process relays now'), 'relaying the job outbox');
      } else if (await leases.acquire(RELAY_LEASE, this.holder, new Date(now).toISOString(), until, { ifIdle: true })) {
        this.leader = true;
        this.schedule(0);
        this.scheduleReconcile(0);
      }
    })()
      .catch((err: unknown) => this.onError(err, 'taking the relay lease'))
      .finally(() => {
        this.leading = null;
      });
  }

  /** Relays in `ms` at the latest: a pass already due sooner is kept (a wake-up is never pushed back by the poll). */
  private schedule(ms: number): void {
    if (this.closed) return;
    const due = Date.now() + ms;
    if (this.relayTimer) {
      if (this.relayDue <= due) return;
      clearTimeout(this.relayTimer);
    }
    this.relayDue = due;
    this.relayTimer = setTimeout(() => {
      this.relayTimer = null;
      if (!this.leader) return this.schedule(this.opts.relayPollMs ?? RELAY_POLL_MS);
      // A wake-up during a pass may come from a commit that pass read too early: pass again at once.
      if (this.relaying) {
        this.relayAgain = true;
        return;
      }
      this.relaying = this.relay()
        .catch((err: unknown) => this.onError(err, 'relaying the job outbox'))
        .finally(() => {
          this.relaying = null;
          const again = this.relayAgain;
          this.relayAgain = false;
          this.schedule(again ? 0 : (this.opts.relayPollMs ?? RELAY_POLL_MS));
        });
    }, ms);
    this.relayTimer.unref();
  }

  private scheduleReconcile(ms: number): void {
    if (this.closed) return;
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = null;
      if (!this.leader) return;
      this.reconcile()
        .catch((err: unknown) => this.onError(err, 'reconciling jobs with Redis'))
        .finally(() => this.scheduleReconcile(this.opts.reconcileMs ?? RECONCILE_MS));
    }, ms);
    this.reconcileTimer.unref();
  }

  /** Moves committed outbox rows into BullMQ. */
  async relay(): Promise<void> {
    for (;;) {
      const rows = await this.store.jobs.listOutbox(100);
      for (const row of rows) {
        await this.add(row, row.delay_ms);
        await this.store.jobs.markRelayed(row.id, new Date().toISOString());
      }
      if (rows.length < 100) return;
    }
  }

  /** `first`: ahead of the jobs waiting (an interrupted job goes first, as BullMQ puts back a stalled one). */
  private async add(row: JobOutboxRow, delay: number, first = false): Promise<void> {
    const name = row.name as JobName;
    const spec = JOBS[name];
    await this.queues[spec.queue].add(name, JSON.parse(row.payload), {
      jobId: row.id,
      lifo: first,
      attempts: spec.retry.attempts,
      backoff: { type: 'intake' },
      delay,
      removeOnComplete: true,
      removeOnFail: { age: 7 * 86400 },
    });
  }

  /**
   * Queues again every relayed job Redis no longer has; returns how many. A row is deleted
   * before BullMQ records its job's end, so a row whose job is missing, read again after the
   * check, is a job Redis lost. Each is added under its own jobId, due when it first was.
   */
  async reconcile(): Promise<number> {
    let requeued = 0;
    let after = '';
    for (;;) {
      const rows = await this.store.jobs.listRelayed(after, 500);
      if (!rows.length) break;
      const pipe = this.connection.pipeline();
      for (const row of rows) pipe.exists(this.queues[JOBS[row.name as JobName].queue].toKey(row.id));
      const found = (await pipe.exec()) ?? [];
      for (const [i, row] of rows.entries()) {
        const [err, exists] = found[i] ?? [new Error('no answer'), 1];
        if (err || exists !== 0) continue;
        const still = await this.store.jobs.findOutbox(row.id);
        if (!still?.relayed_at) continue;
        await this.add(still, Math.max(0, Date.parse(still.created_at) + still.delay_ms - Date.now()), true);
        requeued++;
      }
      after = rows[rows.length - 1]!.id;
      if (rows.length < 500) break;
    }
    if (requeued) this.onError(new Error(`queued again ${requeued} job(s) Redis had lost`), 'reconciling jobs with Redis');
    return requeued;
  }

  startWorkers(opts: WorkerOptions): Workers {
    /** The jobs running in this process, with the lock token each holds. */
    const active = new Map<string, { job: BullJob; token: string; stop: AbortController }>();
    const workers = QUEUES.filter((q) => opts.concurrency[q] > 0).map((q) => {
      const worker = new Worker(q, async (job: BullJob, token?: string) => {
        const key = `${q}:${job.id}`;
        const stop = new AbortController();
        if (token) active.set(key, { job, token, stop });
        try {
          await this.process(job, opts, stop.signal, token);
        } finally {
          active.delete(key);
        }
      }, {
        connection: this.connection,
        prefix: this.opts.prefix,
        concurrency: opts.concurrency[q],
        lockDuration: this.opts.leaseMs,
        stalledInterval: Math.max(1000, Math.floor(this.opts.leaseMs / 2)),
        // A job whose worker died is taken again, as often as it may be retried.
        maxStalledCount: 10,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { name: string }) =>
            backoffMs(JOBS[(job?.name ?? 'asset.process') as JobName].retry, attemptsMade, this.opts.retryBaseMs),
        },
      });
      quietAfterClose(worker);
      worker.on('error', (err) => opts.events?.onError?.(err, `bullmq worker ${q}`));
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        opts.events?.onRun?.(job.name, final ? 'failed' : 'retry', (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now()));
        if (!final) opts.events?.onError?.(err, `job ${job.name} ${job.id} (attempt ${job.attemptsMade})`);
      });
      worker.on('completed', (job) => opts.events?.onRun?.(job.name, 'completed', (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())));
      return worker;
    });
    return {
      close: async () => void (await Promise.all(workers.map((w) => w.close()))),
      // Back to waiting under the same lock token: another worker takes each at once.
      release: async () => {
        let n = 0;
        for (const { job, token, stop } of active.values()) {
          stop.abort(new Error('handed back at shutdown'));
          if (await job.moveToWait(token).then(() => true, () => false)) n++;
        }
        active.clear();
        for (const w of workers) void w.close(true).catch(() => undefined);
        return n;
      },
    };
  }

  private async process(job: BullJob, opts: WorkerOptions, signal: AbortSignal, token: string | undefined): Promise<void> {
    const handler = opts.handlers[job.name as JobName] as Handler<JobName> | undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
    // Deferred runs are counted in the job's data: BullMQ counts them as started.
    const { [DEFERRALS]: deferrals = 0, ...payload } = job.data as Record<string, unknown> & { [DEFERRALS]?: number };
    try {
      // attemptsStarted counts runs a dead worker began too (attemptsMade counts only failures).
      const attempt = Math.max(job.attemptsStarted - deferrals, job.attemptsMade + 1);
      await handler(payload as never, { id: job.id ?? '', attempt, maxAttempts: job.opts.attempts ?? 1, signal });
    } catch (err) {
      if (err instanceof DeferJobError) {
        // Put back for later, not finished: its outbox row stays.
        await job.updateData({ ...payload, [DEFERRALS]: deferrals + 1 });
        // BullMQ's way to put an active job back for later without spending an attempt.
        await job.moveToDelayed(Date.now() + err.delayMs, token);
        throw new DelayedError();
      }
      // Handed back at shutdown: the job waits in Redis again, its row stays.
      const final = !signal.aborted && (err instanceof PermanentJobError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      // Failed for good: nothing left for reconciliation to queue again.
      if (final && job.id) await this.store.jobs.removeOutbox(job.id);
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
    // Before BullMQ records the end: a row whose job Redis no longer has is always unfinished.
    if (job.id) await this.store.jobs.removeOutbox(job.id);
  }

  async counts(): Promise<Record<QueueName, QueueCounts>> {
    return bounded(this.countAll(), 'counting jobs');
  }

  private async countAll(): Promise<Record<QueueName, QueueCounts>> {
    const entries = await Promise.all(
      QUEUES.map(async (q) => {
        const c = await this.queues[q].getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'paused');
        return [q, { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 }] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<QueueName, QueueCounts>;
  }

  /** Commands wait for a connection (BullMQ needs that); checks must answer, so they are bounded. */
  async ping(): Promise<void> {
    await bounded(this.connection.ping(), 'ping');
  }

  /** Removes every key under this queue's prefix (tests). */
  async obliterate(): Promise<void> {
    for (const q of Object.values(this.queues)) await q.obliterate({ force: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.relayTimer) clearTimeout(this.relayTimer);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    clearInterval(this.leadTimer);
    await this.relaying;
    await this.leading;
    await (await this.wakeSource)?.close().catch(() => undefined);
    // Handing the lease back lets another process relay at once rather than when it runs out.
    if (this.leader) await this.store.leases.release(RELAY_LEASE, this.holder, new Date().toISOString()).catch(() => undefined);
    this.leader = false;
    // A Redis that is down would make a polite close wait forever.
    await bounded(Promise.all(Object.values(this.queues).map((q) => q.close())), 'closing').catch(() => undefined);
    await bounded(this.connection.quit(), 'quitting').catch(() => this.connection.disconnect());
  }
}

/**
 * BullMQ 5 (taskforcesh/bullmq#3546): a connection still starting when close() runs removes
 * its listeners, and its start-up then fails (Redis down at shutdown) by emitting 'error'
 * with no listener — a throw inside a promise, an unhandled rejection that takes the
 * process down. An error nobody listens to any more is dropped instead.
 */
function quietAfterClose<T extends Queue | Worker>(owner: T): T {
  for (const field of ['connection', 'blockingConnection']) {
    const conn = (owner as unknown as Record<string, EventEmitter | undefined>)[field];
    if (!conn) continue;
    const emit = conn.emit.bind(conn);
    conn.emit = (event: string | symbol, ...args: unknown[]) => (event === 'error' && conn.listenerCount('error') === 0 ? false : emit(event, ...args));
  }
  return owner;
}

const CHECK_TIMEOUT_MS = 2000;
/** The job-data key counting a job's deferred runs (never a payload field: payloads are ids). */
const DEFERRALS = '_deferrals';

function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer (${what}) within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

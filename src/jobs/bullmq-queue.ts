/**
 * BullMQ on Redis. An enqueue writes an outbox row in the caller's transaction; a relay
 * hands committed rows to BullMQ with the job key as BullMQ's jobId (so a relay that
 * crashes after adding but before deleting adds nothing twice) and deletes them. BullMQ's
 * locks and stalled-job checks give the same lease semantics as the embedded backend.
 */
import type { EventEmitter } from 'node:events';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Repositories, Store } from '../db/repositories/index.js';
import { backoffMs, DeferJobError, JOBS, PermanentJobError, QUEUES, type Handler, type Job, type JobName, type QueueName } from './catalogue.js';
import type { EnqueueOptions, JobQueue, QueueCounts, WorkerOptions, Workers } from './queue.js';

export interface BullQueueOptions {
  url: string;
  prefix: string;
  leaseMs: number;
  retryBaseMs: number | null;
  relayPollMs?: number;
}

export class BullQueue implements JobQueue {
  readonly backend = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queues: Record<QueueName, Queue>;
  private relayTimer: NodeJS.Timeout | null = null;
  private relaying: Promise<void> | null = null;
  private closed = false;

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
    this.schedule(0);
  }

  async enqueue(repos: Repositories, job: Job, opts: EnqueueOptions = {}): Promise<void> {
    const key = (JOBS[job.name].key as (p: unknown) => string)(job.payload);
    await repos.jobs.insertOutbox({ id: key, name: job.name, payload: JSON.stringify(job.payload), delay_ms: opts.delayMs ?? 0, created_at: new Date().toISOString() });
    this.schedule(5);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.relayTimer) clearTimeout(this.relayTimer);
    this.relayTimer = setTimeout(() => {
      this.relayTimer = null;
      this.relaying ??= this.relay()
        .catch((err: unknown) => this.onError(err, 'relaying the job outbox'))
        .finally(() => {
          this.relaying = null;
          this.schedule(this.opts.relayPollMs ?? 500);
        });
    }, ms);
    this.relayTimer.unref();
  }

  /** Moves committed outbox rows into BullMQ. */
  async relay(): Promise<void> {
    for (;;) {
      const rows = await this.store.jobs.listOutbox(100);
      for (const row of rows) {
        const name = row.name as JobName;
        const spec = JOBS[name];
        await this.queues[spec.queue].add(name, JSON.parse(row.payload), {
          jobId: row.id,
          attempts: spec.retry.attempts,
          backoff: { type: 'intake' },
          delay: row.delay_ms,
          removeOnComplete: true,
          removeOnFail: { age: 7 * 86400 },
        });
        await this.store.jobs.removeOutbox(row.id);
      }
      if (rows.length < 100) return;
    }
  }

  startWorkers(opts: WorkerOptions): Workers {
    const workers = QUEUES.filter((q) => opts.concurrency[q] > 0).map((q) => {
      const worker = new Worker(q, (job: BullJob, token?: string) => this.process(job, opts, token), {
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
    return { close: async () => void (await Promise.all(workers.map((w) => w.close()))) };
  }

  private async process(job: BullJob, opts: WorkerOptions, token: string | undefined): Promise<void> {
    const handler = opts.handlers[job.name as JobName] as Handler<JobName> | undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
    // Deferred runs are counted in the job's data: BullMQ counts them as started.
    const { [DEFERRALS]: deferrals = 0, ...payload } = job.data as Record<string, unknown> & { [DEFERRALS]?: number };
    try {
      // attemptsStarted counts runs a dead worker began too (attemptsMade counts only failures).
      const attempt = Math.max(job.attemptsStarted - deferrals, job.attemptsMade + 1);
      await handler(payload as never, { id: job.id ?? '', attempt, maxAttempts: job.opts.attempts ?? 1, signal: new AbortController().signal });
    } catch (err) {
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      if (err instanceof DeferJobError) {
        await job.updateData({ ...payload, [DEFERRALS]: deferrals + 1 });
        // BullMQ's way to put an active job back for later without spending an attempt.
        await job.moveToDelayed(Date.now() + err.delayMs, token);
        throw new DelayedError();
      }
      throw err;
    }
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
    await this.relaying;
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

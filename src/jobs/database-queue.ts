/**
 * The embedded backend: jobs are rows. A worker leases a row (conditional update on its
 * lease token) until `lease_until` and keeps extending it while the handler runs; a
 * worker that dies stops extending, so the row becomes due again and another takes it.
 * Polling is cheap on one machine; an enqueue in this process wakes the pollers at once.
 */
import type { Repositories, Store } from '../db/repositories/index.js';
import type { JobRow } from '../db/schema.js';
import { randomToken } from '../lib/ids.js';
import { backoffMs, DeferJobError, JOBS, PermanentJobError, QUEUES, type Handler, type Job, type JobName, type QueueName } from './catalogue.js';
import type { EnqueueOptions, JobQueue, QueueCounts, WorkerOptions, Workers } from './queue.js';

export interface DatabaseQueueOptions {
  leaseMs: number;
  pollMs?: number;
  /** Overrides every job's backoff base (tests). */
  retryBaseMs: number | null;
}

export class DatabaseQueue implements JobQueue {
  readonly backend = 'database' as const;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly opts: DatabaseQueueOptions,
  ) {}

  async enqueue(repos: Repositories, job: Job, opts: EnqueueOptions = {}): Promise<void> {
    const spec = JOBS[job.name];
    const now = Date.now();
    await repos.jobs.insert({
      id: (spec.key as (p: unknown) => string)(job.payload),
      queue: spec.queue,
      name: job.name,
      payload: JSON.stringify(job.payload),
      max_attempts: spec.retry.attempts,
      run_at: new Date(now + (opts.delayMs ?? 0)).toISOString(),
      now: new Date(now).toISOString(),
    });
    // The row is visible once the caller commits; a poll started before that finds it next time.
    setImmediate(() => this.wake());
  }

  private wake(): void {
    for (const w of this.wakers) w();
  }

  startWorkers(opts: WorkerOptions): Workers {
    const loops = QUEUES.filter((q) => opts.concurrency[q] > 0).map((q) => new QueueLoop(this.store, q, opts, this.opts, this.wakers));
    for (const l of loops) l.start();
    return {
      close: async () => void (await Promise.all(loops.map((l) => l.close()))),
      release: async () => (await Promise.all(loops.map((l) => l.release()))).reduce((a, b) => a + b, 0),
    };
  }

  async counts(): Promise<Record<QueueName, QueueCounts>> {
    const out = Object.fromEntries(QUEUES.map((q) => [q, { waiting: 0, active: 0, delayed: 0, failed: 0 }])) as Record<QueueName, QueueCounts>;
    for (const row of await this.store.jobs.counts(new Date().toISOString())) {
      const c = out[row.queue as QueueName];
      if (!c) continue;
      if (row.status === 'queued') c.waiting += row.n;
      else if (row.status === 'delayed') c.delayed += row.n;
      else if (row.status === 'active') c.active += row.n;
      else c.failed += row.n;
    }
    return out;
  }

  async ping(): Promise<void> {
    await this.store.jobs.counts(new Date().toISOString());
  }

  async close(): Promise<void> {
    this.wakers.clear();
  }
}

class QueueLoop {
  private running = new Set<Promise<void>>();
  /** Leases of the jobs running now, by job id, with what stops their handler. */
  private readonly held = new Map<string, { token: string; stop: AbortController }>();
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeNow: (() => void) | null = null;
  private readonly waker = () => this.wakeNow?.();

  constructor(
    private readonly store: Store,
    private readonly queue: QueueName,
    private readonly worker: WorkerOptions,
    private readonly opts: DatabaseQueueOptions,
    private readonly wakers: Set<() => void>,
  ) {}

  start(): void {
    this.wakers.add(this.waker);
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wakers.delete(this.waker);
    this.wakeNow?.();
    await this.loop;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Gives every running job's lease back (see Workers.release). */
  async release(): Promise<number> {
    this.stopped = true;
    const now = new Date().toISOString();
    let n = 0;
    for (const [id, { token, stop }] of this.held) {
      stop.abort(new Error('handed back at shutdown'));
      if (await this.store.jobs.release(id, token, now).catch(() => false)) n++;
    }
    this.held.clear();
    return n;
  }

  private async run(): Promise<void> {
    const limit = this.worker.concurrency[this.queue];
    while (!this.stopped) {
      let took = false;
      if (this.running.size < limit) {
        const job = await this.claim().catch((err: unknown) => {
          this.worker.events?.onError?.(err, `claiming a ${this.queue} job`);
          return null;
        });
        if (job) {
          took = true;
          const p = this.execute(job).finally(() => {
            this.running.delete(p);
            this.wakeNow?.();
          });
          this.running.add(p);
        }
      }
      if (!took) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.opts.pollMs ?? 250);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeNow = () => {
        this.wakeNow = null;
        done();
      };
    });
  }

  /** Leases the next due job; a job whose leases ran out too often is failed, not run again. */
  private async claim(): Promise<(JobRow & { token: string }) | null> {
    for (let tries = 0; tries < 5; tries++) {
      const now = new Date();
      const row = await this.store.jobs.nextDue(this.queue, now.toISOString());
      if (!row) return null;
      if (row.status === 'active' && row.attempts >= row.max_attempts) {
        await this.store.jobs.fail(row.id, row.lease_token, `${row.last_error ?? 'the worker running it stopped'} (attempt ${row.attempts} of ${row.max_attempts})`, now.toISOString());
        continue;
      }
      const token = randomToken(16);
      const until = new Date(now.getTime() + this.opts.leaseMs).toISOString();
      if (await this.store.jobs.lease(row.id, row.lease_token, token, until, now.toISOString())) return { ...row, attempts: row.attempts + 1, token };
    }
    return null;
  }

  private async execute(job: JobRow & { token: string }): Promise<void> {
    const lost = new AbortController();
    this.held.set(job.id, { token: job.token, stop: lost });
    try {
      await this.executeHeld(job, lost);
    } finally {
      this.held.delete(job.id);
    }
  }

  private async executeHeld(job: JobRow & { token: string }, lost: AbortController): Promise<void> {
    // Keeps the lease while the handler runs; losing it means another worker took the job.
    const heartbeat = setInterval(() => {
      this.store.jobs.extend(job.id, job.token, new Date(Date.now() + this.opts.leaseMs).toISOString()).then(
        (held) => held || lost.abort(new Error('lease lost')),
        (err: unknown) => this.worker.events?.onError?.(err, 'extending a lease'),
      );
    }, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    const started = Date.now();
    const handler = this.worker.handlers[job.name as JobName] as Handler<JobName> | undefined;
    try {
      if (!handler) throw new PermanentJobError(`no handler for job ${job.name}`);
      await handler(JSON.parse(job.payload) as never, { id: job.id, attempt: job.attempts, maxAttempts: job.max_attempts, signal: lost.signal });
      clearInterval(heartbeat);
      await this.store.jobs.remove(job.id, job.token);
      this.worker.events?.onRun?.(job.name, 'completed', Date.now() - started);
    } catch (err) {
      clearInterval(heartbeat);
      if (err instanceof DeferJobError) {
        await this.store.jobs.defer(job.id, job.token, new Date(Date.now() + err.delayMs).toISOString(), new Date().toISOString()).catch(() => undefined);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const now = new Date();
      const final = err instanceof PermanentJobError || job.attempts >= job.max_attempts;
      if (final) await this.store.jobs.fail(job.id, job.token, message, now.toISOString()).catch(() => undefined);
      else {
        const wait = backoffMs(JOBS[job.name as JobName].retry, job.attempts, this.opts.retryBaseMs);
        await this.store.jobs.retryAt(job.id, job.token, new Date(now.getTime() + wait).toISOString(), message, now.toISOString()).catch(() => undefined);
      }
      this.worker.events?.onRun?.(job.name, final ? 'failed' : 'retry', Date.now() - started);
      if (!final) this.worker.events?.onError?.(err, `job ${job.name} ${job.id} (attempt ${job.attempts})`);
    } finally {
      clearInterval(heartbeat);
    }
  }
}

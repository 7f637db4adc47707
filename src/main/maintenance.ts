/**
 * The periodic work of a serving process: handing verifications whose holder died to a
 * worker (takeover, every lease period), expiring abandoned sessions (sweep) and removing
 * stored objects nothing references (reconcile; multipart uploads no live session owns,
 * within minutes). Each takes a lease in the
 * database, so it runs in one process at a time and once per interval whatever the number
 * of processes or restarts (leased-runs.ts).
 */
import type { AppContext } from '../core/context.js';
import { conflict } from '../lib/errors.js';
import { randomToken } from '../lib/ids.js';
import type { Background } from '../lib/background.js';
import { reconcileMultipart, reconcileStorage } from '../uploads/reconcile-storage.js';
import { sweepUploads } from '../uploads/sweep.js';
import { queueTakeovers } from '../uploads/takeover.js';
import { LeasedRuns } from './leased-runs.js';

const RECONCILE_EVERY_MS = 24 * 3600_000;
/** Renewed while a run lasts: a process killed mid-run holds up the next one this long at most. */
const RECONCILE_LEASE_MS = 5 * 60_000;
const SWEEP_LEASE_MS = 2 * 60_000;

export type SweepResult = Awaited<ReturnType<typeof sweepUploads>>;

export class Maintenance {
  private readonly runs: LeasedRuns;
  /** One sweep at a time in this process too: a slow one (retries take a while) must not overlap the next. */
  private sweeping: Promise<SweepResult | null> | null = null;
  private sweepTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private takeoverTimer: NodeJS.Timeout | undefined;
  private multipartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly background: Background,
  ) {
    this.runs = new LeasedRuns(ctx.store.leases, ctx.clock, `${process.pid}-${randomToken(8)}`, ctx.log);
  }

  /** Expires overdue sessions and purges old ones once, now (a conflict error while another process sweeps). */
  async sweep(): Promise<SweepResult> {
    while (this.sweeping) await this.sweeping.catch(() => null);
    const result = await this.sweepLeased(true);
    if (!result) throw conflict('Another process is sweeping now; try again when it has finished.');
    return result;
  }

  /** Sweeps if no other process is sweeping and none swept within the interval; null if it did not. */
  sweepIfDue(): Promise<SweepResult | null> {
    return this.sweeping ? Promise.resolve(null) : this.sweepLeased(false);
  }

  /** Removes stored objects nothing references (after failures or crashes) once. */
  reconcile(): Promise<{ checked: number; removed: number }> {
    return reconcileStorage(this.ctx);
  }

  /** Reconciles if no other process holds the lease and no run happened in the last day; true if it ran. */
  async reconcileIfDue(): Promise<boolean> {
    return (await this.runs.run('reconcile', { holdMs: RECONCILE_LEASE_MS, everyMs: RECONCILE_EVERY_MS - 60_000 }, () => this.reconcile())) !== null;
  }

  /** Queues verifications whose lease ran out (their holder died), if no other process did within the lease period. */
  takeoverIfDue(): Promise<number | null> {
    const leaseMs = this.ctx.config.uploads.verifyLeaseMs;
    return this.runs.run('takeover', { holdMs: Math.max(5000, leaseMs), everyMs: Math.max(0, leaseMs - 500) }, () => queueTakeovers(this.ctx));
  }

  /** Aborts orphaned multipart uploads past their grace, if no other process did within the period; null if it did not run. */
  reconcileMultipartIfDue(): Promise<{ checked: number; removed: number } | null> {
    const everyMs = this.multipartPeriodMs();
    return this.runs.run('reconcile-multipart', { holdMs: RECONCILE_LEASE_MS, everyMs: Math.max(0, everyMs - 500) }, () => reconcileMultipart(this.ctx, this.ctx.config.uploads.multipartGraceMs));
  }

  private multipartPeriodMs(): number {
    return Math.min(60_000, Math.max(500, Math.floor(this.ctx.config.uploads.multipartGraceMs / 2)));
  }

  /** Queues what a crash left unqueued, then starts the periodic takeover, sweep and reconciliation. */
  async start(): Promise<void> {
    const { store, jobs, log, config } = this.ctx;
    // Form uploads accepted before their completion became a job: queue it now (idempotent).
    for (const upload of await store.uploads.listReceivedUncompleted(1000)) {
      await store.transaction((r) => jobs.enqueue(r, { name: 'upload.verify', payload: { uploadId: upload.id } }));
    }
    this.sweepTimer = setInterval(() => {
      this.sweepIfDue().catch((err: unknown) => log.warn({ err }, 'sweep failed'));
    }, config.uploads.sweepIntervalMs);
    this.sweepTimer.unref();
    this.takeoverTimer = setInterval(() => {
      this.background.run('take over verifications', () => this.takeoverIfDue());
    }, config.uploads.verifyLeaseMs);
    this.takeoverTimer.unref();
    this.multipartTimer = setInterval(() => {
      this.background.run('abort orphaned multipart uploads', () => this.reconcileMultipartIfDue());
    }, this.multipartPeriodMs());
    this.multipartTimer.unref();
    // Walking every object is heavier than a sweep: soon after start (a server restarted
    // daily must still run it), then once a day.
    const tick = () => {
      this.background.run('reconcile storage', () => this.reconcileIfDue());
      this.reconcileTimer = setTimeout(tick, RECONCILE_EVERY_MS);
      this.reconcileTimer.unref();
    };
    this.reconcileTimer = setTimeout(tick, config.uploads.reconcileDelayMs);
    this.reconcileTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.takeoverTimer);
    clearInterval(this.multipartTimer);
    clearTimeout(this.reconcileTimer);
  }

  private sweepLeased(onDemand: boolean): Promise<SweepResult | null> {
    const everyMs = Math.max(0, this.ctx.config.uploads.sweepIntervalMs - 1000);
    this.sweeping = this.runs
      .run('sweep', { holdMs: SWEEP_LEASE_MS, everyMs }, () => sweepUploads(this.ctx, this.ctx.config.uploads.purgeAfterDays), onDemand)
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }
}

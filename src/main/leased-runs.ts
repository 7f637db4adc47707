/**
 * Periodic work that must run in one process at a time, whatever the number of API
 * processes sharing the database (sweeps, storage reconciliation): a named row in the
 * `leases` table, taken by conditional update, renewed while the work runs (so a process
 * killed mid-run frees it within `holdMs`), and released with the time the next run is due
 * (so N processes run it once per interval, not N times).
 */
import type { Logger } from '../core/context.js';
import type { LeasesRepository } from '../db/repositories/leases.js';
import type { Clock } from '../lib/clock.js';

export interface LeasedRun {
  /** How long the lease lasts without renewal: a dead holder blocks others this long at most. */
  holdMs: number;
  /** Earliest next periodic run after this one ends. */
  everyMs: number;
}

export class LeasedRuns {
  constructor(
    private readonly leases: LeasesRepository,
    private readonly clock: Clock,
    private readonly holder: string,
    private readonly log: Logger,
  ) {}

  /**
   * Runs `work` if this process takes the lease: when due (periodic), or with `onDemand`
   * whenever no other process is running it. Returns null when it did not run.
   */
  async run<T>(name: string, spec: LeasedRun, work: () => Promise<T>, onDemand = false): Promise<T | null> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = () => this.clock.now().getTime();
    if (!(await this.leases.acquire(name, this.holder, iso(now()), iso(now() + spec.holdMs), { ifIdle: onDemand }))) return null;
    const renew = setInterval(() => {
      this.leases.extend(name, this.holder, iso(now() + spec.holdMs)).then(
        (held) => held || this.log.warn({ lease: name }, 'lost the lease while running; another process may start the same work'),
        (err: unknown) => this.log.warn({ err, lease: name }, 'could not renew the lease'),
      );
    }, Math.max(1000, Math.floor(spec.holdMs / 3)));
    renew.unref();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      clearInterval(renew);
      // A failed run may be retried at the next tick; a finished one waits its interval.
      await this.leases.release(name, this.holder, iso(ok ? now() + spec.everyMs : now())).catch((err: unknown) => this.log.warn({ err, lease: name }, 'could not release the lease; it runs out by itself'));
    }
  }
}

/**
 * A serving Intake (`intake serve`, and the tests' servers): the shared core, its HTTP API
 * and the periodic maintenance, closed in reverse order. `intake worker` uses the core
 * alone (server-commands.ts).
 */
import type { FastifyInstance } from 'fastify';
import type pino from 'pino';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import type { AppContext } from '../core/context.js';
import type { Db } from '../db/database.js';
import type { JobQueue } from '../jobs/index.js';
import { Background } from '../lib/background.js';
import type { Clock } from '../lib/clock.js';
import type { Transforms } from '../assets/transforms.js';
import type { Namespaces } from '../namespaces/namespaces.js';
import { createApi } from './api.js';
import { openCore } from './core.js';
import { Maintenance, type SweepResult } from './maintenance.js';

export interface Intake {
  app: FastifyInstance;
  deps: AppContext;
  namespaces: Namespaces;
  /** Image transforms on demand (its `renders` counts what this process rendered). */
  transforms: Transforms;
  db: Db;
  adminKey: { value: string; created: boolean; path: string | null };
  queue: JobQueue;
  /** Expires overdue sessions and purges old ones once, now (a conflict error while another process sweeps). */
  sweep(): Promise<SweepResult>;
  /** Sweeps if no other process is sweeping and none swept within the interval; null if it did not. */
  sweepIfDue(): Promise<SweepResult | null>;
  /** Removes stored objects nothing references (after failures or crashes) once. */
  reconcile(): Promise<{ checked: number; removed: number }>;
  /** Reconciles if no other process holds the lease and no run happened in the last day; true if it ran. */
  reconcileIfDue(): Promise<boolean>;
  /** Aborts multipart uploads no live session owns, past their grace, if no other process did within the period. */
  reconcileMultipartIfDue(): Promise<{ checked: number; removed: number } | null>;
  /** Starts the periodic sweeper and reconciliation, and queues what a crash left unqueued. */
  startBackground(): Promise<void>;
  /** Starts this process's job workers (the in-process worker of `serve`). */
  startWorkers(): void;
  /** Serves HTTP on host:port. */
  listen(host: string, port: number): Promise<AddressInfo>;
  /**
   * Stops accepting work, waits for what is running, closes in reverse order. With a
   * deadline (a Date.now() value), jobs still running then are handed back to the queue and
   * requests still open are cut; a verification they held is taken over when its lease runs out.
   */
  close(deadline?: number): Promise<void>;
}

/** `work`, or nothing more once `deadline` (a Date.now() value) has passed. */
function bounded(work: Promise<void>, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function createIntake(config: Config, opts: { logger?: pino.Logger | false; clock?: Clock } = {}): Promise<Intake> {
  const core = await openCore(config, opts);
  const log = core.context.log;
  const background = new Background((err, name) => log.warn({ err }, `background task failed: ${name}`));
  const api = await createApi(core, background);
  const maintenance = new Maintenance(core.context, background);
  return {
    app: api.app,
    deps: core.context,
    namespaces: core.namespaces,
    transforms: core.transforms,
    db: core.db,
    adminKey: core.adminKey,
    queue: core.queue,
    sweep: () => maintenance.sweep(),
    sweepIfDue: () => maintenance.sweepIfDue(),
    reconcile: () => maintenance.reconcile(),
    reconcileIfDue: () => maintenance.reconcileIfDue(),
    reconcileMultipartIfDue: () => maintenance.reconcileMultipartIfDue(),
    startBackground: () => maintenance.start(),
    startWorkers: () => core.startWorkers(),
    listen: (host, port) => api.listen(host, port),
    async close(deadline) {
      maintenance.stop();
      // No new requests or jobs from here; running jobs and requests finish (graceful drain)
      // until the deadline, then the core closes.
      await Promise.all([core.closeWorkers(deadline), bounded(api.close(), deadline)]);
      await bounded(background.drain(), deadline);
      await core.close(deadline);
    },
  };
}

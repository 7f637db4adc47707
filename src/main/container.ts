/**
 * Wires Intake by hand from a Config: database, storage, use cases, HTTP app, sweeper.
 * No module below main/ reads the environment or holds a singleton.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Authenticator } from '../auth/authenticator.js';
import { KeyCache } from '../auth/key-cache.js';
import type { Config } from '../config/config.js';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { createStore } from '../db/repositories/index.js';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../http/app.js';
import { Background } from '../lib/background.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { MediaGovernor, PERIOD_MS } from '../media/cpu-governor.js';
import { ImageProber } from '../media/image.js';
import { MediaTypes } from '../media/kinds.js';
import { Namespaces } from '../namespaces/namespaces.js';
import { createStorage } from '../storage/index.js';
import type { AppContext } from '../core/context.js';
import { reconcileStorage } from '../uploads/reconcile-storage.js';
import { sweepUploads } from '../uploads/sweep.js';
import { createQueue, type JobQueue, type Workers } from '../jobs/index.js';
import { jobHandlers } from './job-handlers.js';
import { jobMetrics } from '../jobs/metrics.js';

import { newAdminKey, newSigningSecret, persistentSecret, requireSharedSecrets } from './secrets.js';
import { randomToken } from '../lib/ids.js';
import { conflict } from '../lib/errors.js';
import { LeasedRuns } from './leased-runs.js';
import { LIMITER_REDIS_OPTIONS, RedisRateLimiter } from '../http/plugins/rate-limit-redis.js';

const RECONCILE_EVERY_MS = 24 * 3600_000;
/** Renewed while a run lasts: a process killed mid-run holds up the next one this long at most. */
const RECONCILE_LEASE_MS = 5 * 60_000;
const SWEEP_LEASE_MS = 2 * 60_000;

type SweepResult = Awaited<ReturnType<typeof sweepUploads>>;

export interface Intake {
  app: FastifyInstance;
  deps: AppContext;
  namespaces: Namespaces;
  db: Db;
  adminKey: { value: string; created: boolean; path: string | null };
  /** Expires overdue sessions and purges old ones once, now (a conflict error while another process sweeps). */
  sweep(): Promise<SweepResult>;
  /** Sweeps if no other process is sweeping and none swept within the interval; null if it did not. */
  sweepIfDue(): Promise<SweepResult | null>;
  /** Removes stored objects nothing references (after failures or crashes) once. */
  reconcile(): Promise<{ checked: number; removed: number }>;
  /** Reconciles if no other process holds the lease and no run happened in the last day; true if it ran. */
  reconcileIfDue(): Promise<boolean>;
  /** Starts the periodic sweeper and finishes form uploads a crash interrupted. */
  startBackground(): Promise<void>;
  queue: JobQueue;
  /** Starts this process's job workers (the in-process worker of `serve`, or `intake worker`). */
  startWorkers(): void;
  /** Serves HTTP on host:port. */
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting work, waits for what is running, closes in reverse order. */
  close(): Promise<void>;
}

export async function createIntake(config: Config, opts: { logger?: pino.Logger | false; clock?: Clock } = {}): Promise<Intake> {
  const logger = opts.logger === undefined ? pino({ level: config.log.level }) : opts.logger;
  const log = logger || pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  requireSharedSecrets(config);
  const adminKey = persistentSecret(config.storage.dataDir, 'admin.key', config.secrets.adminKey, newAdminKey);
  const signing = persistentSecret(config.storage.dataDir, 'signing.key', config.secrets.signingSecret, newSigningSecret);

  const db = openDatabase(config.database.url);
  await migrateToLatest(db);
  await db.checkpointInBackground();
  // SQLite has one connection: concurrent session writes may share a commit (db/group-commit.ts).
  const store = createStore(db.kysely, { groupCommit: db.dialect === 'sqlite' });
  const { storage, selfServed } = await createStorage({ dataDir: config.storage.dataDir, publicUrl: config.http.publicUrl, signingSecret: signing.value, s3: config.storage.s3 });
  // Media processes yield to requests while the API is busy; started by listen() (a serving
  // process). A duty of 100% never holds them back: no governor at all.
  const governor =
    config.media.busyDutyPercent < 100
      ? new MediaGovernor({ periodMs: PERIOD_MS, dutyMs: (PERIOD_MS * config.media.busyDutyPercent) / 100, foreground: () => [] })
      : undefined;
  const images = new ImageProber({
    concurrency: config.media.imageConcurrency,
    memoryMb: config.media.imageMemoryMb,
    timeoutMs: config.media.imageTimeoutMs,
    maxSvgElements: config.media.maxSvgElements,
    idleMs: config.media.imageIdleMs,
  }, governor);
  const queue = await createQueue(store, { redisUrl: config.redis.url, redisPrefix: config.redis.prefix, leaseMs: config.jobs.leaseMs, retryBaseMs: config.jobs.retryBaseMs }, (err, context) =>
    log.warn({ err }, `job queue: ${context}`),
  );
  const deps: AppContext = {
    store,
    storage,
    types: new MediaTypes(config.uploads.allowedTypes),
    images,
    clock,
    config,
    log,
    jobs: queue,
    governor,
  };
  const webhookDeps = { store, clock, allowPrivate: config.webhooks.allowPrivate };
  const jobStats = jobMetrics(queue);
  let workers: Workers | null = null;
  // One key cache: Namespaces makes it forget what an admin revokes or changes (auth/key-cache.ts).
  const keyCache = new KeyCache();
  const namespaces = new Namespaces(store, clock, keyCache);
  const background = new Background((err, name) => log.warn({ err }, `background task failed: ${name}`));

  // The one switch for rate limits: shared buckets in Redis when there is one (many API
  // processes), in-process buckets otherwise (buildApp's default).
  // ioredis is loaded only when Redis is configured (as BullMQ is, in jobs/index.ts).
  const limiterRedis = config.redis.url ? new (await import('ioredis')).Redis(config.redis.url, LIMITER_REDIS_OPTIONS) : null;
  let limiters;
  if (limiterRedis) {
    limiterRedis.on('error', () => undefined); // Outages are reported by the limiter, throttled.
    await limiterRedis.connect().catch((err: unknown) => log.warn({ err }, 'rate limits: Redis unreachable at start; per-process limits until it answers'));
    const outage = (err: unknown) => log.warn({ err }, 'rate limits: Redis unreachable; per-process limits until it answers');
    const prefix = `${config.redis.prefix}:ratelimit:`;
    limiters = {
      byKey: new RedisRateLimiter(limiterRedis, `${prefix}key:`, config.http.rateLimitPerMinute, outage),
      byAddress: new RedisRateLimiter(limiterRedis, `${prefix}address:`, config.http.addressRateLimitPerMinute, outage),
    };
  }

  const app = await buildApp({
    uploads: deps,
    namespaces,
    authenticator: new Authenticator(store.apiKeys, adminKey.value, keyCache),
    selfServed,
    background,
    probes: { database: () => store.ping(), storage: () => storage.ping(), queue: () => queue.ping() },
    webhooks: webhookDeps,
    metrics: jobStats.metrics,
    rateLimitPerMinute: config.http.rateLimitPerMinute,
    maxUploadBytes: config.uploads.maxUploadBytes,
    trustProxy: config.http.trustProxy,
    logger: logger || false,
    transfers: { minBytesPerSecond: config.http.minTransferBytesPerSecond, windowMs: config.http.transferWindowMs, maxConcurrentUploads: config.http.maxConcurrentUploads },
    addressRateLimitPerMinute: config.http.addressRateLimitPerMinute,
    limiters,
  });

  let timer: NodeJS.Timeout | undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  const reconcile = () => reconcileStorage(deps);
  // Sweeps and reconciliation take a lease in the database: one process at a time, and
  // once per interval whatever the number of processes or restarts.
  const runs = new LeasedRuns(store.leases, clock, `${process.pid}-${randomToken(8)}`, log);
  const reconcileIfDue = async (): Promise<boolean> => (await runs.run('reconcile', { holdMs: RECONCILE_LEASE_MS, everyMs: RECONCILE_EVERY_MS - 60_000 }, reconcile)) !== null;
  // One sweep at a time in this process too: a slow one (retries take a while) must not overlap the next.
  let sweeping: Promise<SweepResult | null> | null = null;
  const sweepLeased = (onDemand: boolean): Promise<SweepResult | null> => {
    sweeping = runs
      .run('sweep', { holdMs: SWEEP_LEASE_MS, everyMs: Math.max(0, config.uploads.sweepIntervalMs - 1000) }, () => sweepUploads(deps, config.uploads.purgeAfterDays), onDemand)
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };
  const sweep = async (): Promise<SweepResult> => {
    while (sweeping) await sweeping.catch(() => null);
    const result = await sweepLeased(true);
    if (!result) throw conflict('Another process is sweeping now; try again when it has finished.');
    return result;
  };
  const sweepIfDue = (): Promise<SweepResult | null> => sweeping ? Promise.resolve(null) : sweepLeased(false);
  return {
    app,
    deps,
    namespaces,
    db,
    adminKey,
    sweep,
    sweepIfDue,
    reconcile,
    reconcileIfDue,
    queue,
    startWorkers() {
      workers ??= queue.startWorkers({
        handlers: jobHandlers(deps, webhookDeps),
        concurrency: { uploads: 2, media: config.jobs.mediaConcurrency, webhooks: 4 },
        events: { onRun: jobStats.events.onRun, onError: (err, context) => log.warn({ err }, `job: ${context}`) },
      });
    },
    async startBackground() {
      // Form uploads accepted before their completion became a job: queue it now (idempotent).
      for (const upload of await store.uploads.listReceivedUncompleted(1000)) {
        await store.transaction((r) => queue.enqueue(r, { name: 'upload.verify', payload: { uploadId: upload.id } }));
      }
      timer = setInterval(() => {
        sweepIfDue().catch((err: unknown) => log.warn({ err }, 'sweep failed'));
      }, config.uploads.sweepIntervalMs);
      timer.unref();
      // Walking every object is heavier than a sweep: soon after start (a server restarted
      // daily must still run it), then once a day.
      reconcileTimer = setTimeout(function tick() {
        background.run('reconcile storage', reconcileIfDue);
        reconcileTimer = setTimeout(tick, RECONCILE_EVERY_MS);
        reconcileTimer.unref();
      }, config.uploads.reconcileDelayMs);
      reconcileTimer.unref();
    },
    async listen(host, port) {
      governor?.start();
      await app.listen({ host, port });
      return app.server.address() as AddressInfo;
    },
    async close() {
      if (timer) clearInterval(timer);
      if (reconcileTimer) clearTimeout(reconcileTimer);
      // Running jobs finish first (graceful drain), then the API closes.
      await workers?.close();
      await app.close();
      limiterRedis?.disconnect();
      await background.drain();
      await queue.close();
      await images.close();
      governor?.stop();
      await db.close();
    },
  };
}

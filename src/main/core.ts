/**
 * What every Intake process shares, wired by hand from a Config: database and
 * repositories, storage, the job queue, media tools and the application context the use
 * cases take. `serve` adds the HTTP API (api.ts) and the periodic maintenance
 * (maintenance.ts) on top; `intake worker` adds only job workers; the one-shot commands
 * use it as it is. No module below main/ reads the environment or holds a singleton.
 */
import { StoreUrls } from '../storage/store-urls.js';
import pino from 'pino';
import { KeyCache } from '../auth/key-cache.js';
import type { Config } from '../config/config.js';
import type { AppContext } from '../core/context.js';
import { migrateToLatest, openDatabase, probeDatabase, type Db } from '../db/database.js';
import { createStore, type Store } from '../db/repositories/index.js';
import { OUTBOX_CHANNEL } from '../db/repositories/jobs.js';
import { createQueue, type JobQueue, type Workers } from '../jobs/index.js';
import { jobMetrics } from '../jobs/metrics.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { PathTokens } from '../lib/path-token.js';
import { ImageProber } from '../media/image.js';
import { MediaTypes } from '../media/kinds.js';
import { Namespaces } from '../namespaces/namespaces.js';
import { Transforms } from '../assets/transforms.js';
import { createStorage } from '../storage/index.js';
import type { LocalDiskStorage } from '../storage/local.js';
import type { Appender } from '../storage/object-storage.js';
import type { WebhookDeps } from '../webhooks/webhooks.js';
import { jobHandlers } from './job-handlers.js';
import { uploadMetrics } from './upload-metrics.js';
import { newAdminKey, newSigningSecret, persistentSecret, requireSharedSecrets } from './secrets.js';
import { connectFailure, DependencyUnreachableError, withoutPassword } from './start-errors.js';

export interface Core {
  config: Config;
  /** The process's logger; false when logging is off (tests, one-shot commands). */
  logger: pino.Logger | false;
  db: Db;
  store: Store;
  /** The use cases' context: store, storage, queue, media tools, clock, config, log. */
  context: AppContext;
  /** The local-disk driver whose signed URLs the API serves itself, or null with S3. */
  selfServed: LocalDiskStorage | null;
  /** Growing objects for tus sessions, where the storage driver has them. */
  appender: Appender | null;
  /** Signs URLs and tokens Intake checks itself. */
  signingSecret: string;
  webhooks: WebhookDeps;
  namespaces: Namespaces;
  /** Image transforms on demand, signed with the instance's signing secret. */
  transforms: Transforms;
  /** Forgets keys an admin revokes or changes; the API's authenticator reads through it. */
  keyCache: KeyCache;
  adminKey: { value: string; created: boolean; path: string | null };
  queue: JobQueue;
  /** Queue depth, run times and failures, for the API's /metrics. */
  jobStats: ReturnType<typeof jobMetrics>;
  /** Sessions created, completed and failed, bytes and durations, for the API's /metrics. */
  uploadStats: ReturnType<typeof uploadMetrics>;
  /** Starts this process's job workers (the in-process worker of `serve`, or `intake worker`). */
  startWorkers(): void;
  /**
   * Stops taking jobs and waits for the running ones (graceful drain); with a deadline,
   * those still running when it passes are handed back to the queue for another worker.
   */
  closeWorkers(deadline?: number): Promise<void>;
  /** Drains the workers (until `deadline`, a Date.now() value, then releases), then closes the queue, media tools and database. */
  close(deadline?: number): Promise<void>;
}

/** The database, migrated; a PostgreSQL that does not answer is a DependencyUnreachableError (exit 3), not a stack. */
async function openMigrated(url: string): Promise<Db> {
  const unreachable = (err: unknown): never => {
    const why = connectFailure(err);
    if (why === null) throw err;
    throw new DependencyUnreachableError(
      'PostgreSQL',
      `Cannot connect to PostgreSQL at ${withoutPassword(url)} (${why}): start it or fix INTAKE_DATABASE_URL, then start Intake again.`,
    );
  };
  await probeDatabase(url).catch(unreachable);
  const db = openDatabase(url);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    unreachable(err);
  }
  return db;
}

export async function openCore(config: Config, opts: { logger?: pino.Logger | false; clock?: Clock } = {}): Promise<Core> {
  const logger = opts.logger === undefined ? pino({ level: config.log.level }) : opts.logger;
  const log = logger || pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  requireSharedSecrets(config);
  const adminKey = persistentSecret(config.storage.dataDir, 'admin.key', config.secrets.adminKey, newAdminKey);
  const signing = persistentSecret(config.storage.dataDir, 'signing.key', config.secrets.signingSecret, newSigningSecret);

  const db = await openMigrated(config.database.url);
  db.checkpointInBackground();
  // SQLite has one connection: concurrent session writes may share a commit (db/group-commit.ts).
  const store = createStore(db.kysely, { groupCommit: db.dialect === 'sqlite', notifies: db.dialect === 'postgres' });
  const { storage, selfServed, appender } = await createStorage({ dataDir: config.storage.dataDir, publicUrl: config.http.publicUrl, signingSecret: signing.value, s3: config.storage.s3 });
  const m = config.media;
  const images = new ImageProber({ concurrency: m.imageConcurrency, memoryMb: m.imageMemoryMb, timeoutMs: m.imageTimeoutMs, maxSvgElements: m.maxSvgElements, idleMs: m.imageIdleMs });
  const queue = await createQueue(
    store,
    {
      redisUrl: config.redis.url,
      redisPrefix: config.redis.prefix,
      leaseMs: config.jobs.leaseMs,
      retryBaseMs: config.jobs.retryBaseMs,
      reconcileMs: config.jobs.reconcileMs,
      listen: db.dialect === 'postgres' ? (onNotify, onError) => db.listen(OUTBOX_CHANNEL, onNotify, onError) : null,
    },
    (err, context) => log.warn({ err }, `job queue: ${context}`),
  );
  const uploadStats = uploadMetrics();
  const tokens = new PathTokens(signing.value, config.http.publicUrl.replace(/\/+$/, ''));
  const context: AppContext = { store, storage, types: new MediaTypes(config.uploads.allowedTypes), images, clock, config, log, jobs: queue, observer: uploadStats.observer, tokens, storeUrls: new StoreUrls(config.http.publicUrl, signing.value) };
  const webhooks: WebhookDeps = { store, clock, allowPrivate: config.webhooks.allowPrivate };
  const keyCache = new KeyCache();
  const jobStats = jobMetrics(queue);
  let workers: Workers | null = null;
  let drained: Promise<void> | null = null;
  const drainWorkers = (deadline?: number): Promise<void> => {
    const w = workers;
    if (!w) return Promise.resolve();
    drained ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        if (deadline !== undefined) timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
      });
      const outcome = await Promise.race([w.close().then(() => 'drained' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') log.warn({ released: await w.release() }, 'drain deadline passed: running jobs handed back to the queue');
    })();
    return drained;
  };

  return {
    config,
    logger,
    db,
    store,
    context,
    selfServed,
    appender,
    signingSecret: signing.value,
    webhooks,
    namespaces: new Namespaces(store, clock, keyCache),
    transforms: new Transforms(context, signing.value, config.http.publicUrl.replace(/\/+$/, '')),
    keyCache,
    adminKey,
    queue,
    jobStats,
    uploadStats,
    startWorkers() {
      workers ??= queue.startWorkers({
        handlers: jobHandlers(context, webhooks),
        // Imports on their own queue: a slow source (up to INTAKE_IMPORT_TIMEOUT_SECONDS) never holds a verification's slot.
        concurrency: { uploads: 2, imports: 4, media: config.jobs.mediaConcurrency, webhooks: 16 },
        events: { onRun: jobStats.events.onRun, onError: (err, ctx) => log.warn({ err }, `job: ${ctx}`) },
      });
    },
    async closeWorkers(deadline) {
      await drainWorkers(deadline);
    },
    async close(deadline) {
      // Running jobs finish first (or are handed back at the deadline), then what they used closes.
      await drainWorkers(deadline);
      await queue.close();
      await images.close();
      await db.close();
    },
  };
}

/**
 * What must hold once a scale-out run has settled, read from the database, the bucket and
 * BullMQ themselves: every accepted upload completed with exactly one asset and exactly
 * one set of renditions, quota equal to the bytes stored, no object without a row, no row
 * without its object, no job left behind. Each breach is one line in `violations`.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openDatabase } from '../../src/db/database.js';
import { createStore } from '../../src/db/repositories/index.js';
import type { AppContext } from '../../src/core/context.js';
import { reconcileStorage } from '../../src/uploads/reconcile-storage.js';
import { QUEUES } from '../../src/jobs/catalogue.js';
import { ladderFor } from '../../src/media/renditions.js';
import type { Cluster } from './cluster.js';
import type { DriveStats } from './drive.js';
import { FOLDER_SOURCES } from '../../src/assets/rendition-folders.js';

const LADDER = [1080, 720, 480, 360];
const LIVE = ['pending', 'uploading', 'processing', 'storing'];

export interface Counts {
  uploadsAccepted: number;
  uploadsCompleted: number;
  /** Still being verified (a takeover not yet done): must be 0 once settled. */
  uploadsStranded: number;
  assetsReady: number;
  renditions: number;
  sessionsLeftOpen: number;
  objectsInBucket: number;
  openMultipartUploads: number;
  /** Multipart uploads a killed process left without a session, aborted by Intake's reconciliation. */
  multipartReconciled: number;
  storedBytes: number;
  blobBytes: number;
  jobs: { waiting: number; active: number; delayed: number; failed: number; outbox: number };
}

export interface CheckResult {
  counts: Counts;
  violations: string[];
  /** True once nothing is still on its way (jobs, renditions): the checks are final. */
  settled: boolean;
}

function expectedLabels(kind: string, height: number | null): string[] {
  if (kind === 'image') return ['preview', 'thumbnail'];
  if (kind === 'video') return [...ladderFor(height, LADDER).map((h) => `${h}p`), 'hls', 'poster', 'storyboard'].sort();
  return [];
}

export async function checkCluster(cluster: Cluster, stats: DriveStats): Promise<CheckResult> {
  const db = openDatabase(cluster.databaseUrl, { poolSize: 2 });
  const redis = new Redis(cluster.env.INTAKE_REDIS_URL!, { maxRetriesPerRequest: null });
  const queues = QUEUES.map((q) => new Queue(q, { connection: redis, prefix: cluster.redisPrefix }));
  try {
    const k = db.kysely;
    const [uploads, assets, blobs, sources, namespaces, outbox] = await Promise.all([
      k.selectFrom('uploads').selectAll().execute(),
      k.selectFrom('assets').selectAll().execute(),
      k.selectFrom('blobs').selectAll().execute(),
      k.selectFrom('sources').selectAll().execute(),
      k.selectFrom('namespaces').selectAll().execute(),
      // Rows relayed to BullMQ stay until their job finishes: every row is an unfinished job.
      k.selectFrom('job_outbox').select('id').execute(),
    ]);
    const violations: string[] = [];
    let settled = true;
    const uploadById = new Map(uploads.map((u) => [u.id, u]));
    const sourcesOf = (assetId: string) => sources.filter((s) => s.asset_id === assetId);

    // 1. Every accepted upload: completed, one asset, ready, one set of renditions.
    let completed = 0;
    let stranded = 0;
    for (const a of stats.accepted) {
      const u = uploadById.get(a.uploadId);
      if (!u) {
        violations.push(`upload ${a.uploadId}: accepted but no row`);
        continue;
      }
      const mine = assets.filter((x) => x.upload_id === u.id);
      const asset = mine[0];
      if (u.status !== 'completed' || !asset || asset.status !== 'ready') {
        if (u.status === 'failed' || asset?.status === 'failed') violations.push(`upload ${u.id} (${a.kind}): ${u.status}, asset ${asset?.status}: ${u.error_message ?? asset?.error_message}`);
        // Its verification died with its process: taken over once its lease runs out.
        else {
          if (u.status === 'processing' && asset?.status === 'pending') stranded++;
          settled = false;
        }
        continue;
      }
      completed++;
      if (mine.length !== 1) violations.push(`upload ${u.id}: ${mine.length} assets`);
      if (u.asset_id !== asset.id) violations.push(`upload ${u.id}: points at asset ${u.asset_id}, not ${asset.id}`);
      const labels = sourcesOf(asset.id).map((s) => s.label).sort();
      const want = expectedLabels(asset.kind, asset.height);
      if (labels.length < want.length) settled = false;
      else if (JSON.stringify(labels) !== JSON.stringify(want)) violations.push(`asset ${asset.id} (${asset.kind}): renditions ${labels.join(',') || 'none'}, expected ${want.join(',') || 'none'}`);
    }

    // 2. No asset beyond those: a finished asset belongs to a completed upload; a pending one to a live session.
    for (const x of assets) {
      const u = uploadById.get(x.upload_id);
      if (x.status === 'pending' ? !u || !LIVE.includes(u.status) : u?.status !== 'completed' && x.status === 'ready') violations.push(`asset ${x.id} (${x.status}) of upload ${x.upload_id} (${u?.status ?? 'missing'})`);
    }

    // 3. Quota: stored bytes are the verified originals' bytes plus their renditions' (the
    //    sources with no blob); reservations are the live sessions'.
    let storedBytes = 0;
    let blobBytes = 0;
    for (const ns of namespaces) {
      const renditions = sources.filter((x) => x.namespace_id === ns.id && x.blob_id === null).reduce((n, x) => n + Number(x.filesize ?? 0), 0);
      const sum = blobs.filter((b) => b.namespace_id === ns.id).reduce((n, b) => n + Number(b.size), 0) + renditions;
      const reserved = uploads.filter((u) => u.namespace_id === ns.id && LIVE.includes(u.status)).reduce((n, u) => n + Number(u.reserved_bytes), 0);
      storedBytes += Number(ns.stored_bytes);
      blobBytes += sum;
      if (Number(ns.stored_bytes) !== sum) violations.push(`namespace ${ns.id}: stored_bytes ${ns.stored_bytes} ≠ ${sum} bytes of its blobs and renditions`);
      if (Number(ns.reserved_bytes) !== reserved) violations.push(`namespace ${ns.id}: reserved_bytes ${ns.reserved_bytes} ≠ ${reserved} reserved by its live sessions`);
    }

    // 4. The bucket against the rows, both ways.
    const keys = new Set<string>();
    for await (const o of cluster.bucket.storage.list()) keys.add(o.key);
    const rowKeys = new Set([...blobs.map((b) => b.storage_key), ...sources.map((s) => s.storage_key)]);
    const liveOwner = (key: string) => {
      const u = uploadById.get(key.split('/')[1] ?? '');
      return Boolean(u && LIVE.includes(u.status));
    };
    // An `hls` or `storyboard` row names its folder's main file and stands for every file under that folder.
    const folders = sources.filter((x) => (FOLDER_SOURCES as readonly string[]).includes(x.label)).map((x) => x.storage_key.slice(0, x.storage_key.lastIndexOf('/') + 1));
    const inFolder = (key: string) => folders.some((folder) => key.startsWith(folder));
    for (const key of keys) if (!rowKeys.has(key) && !inFolder(key) && !liveOwner(key)) violations.push(`object ${key}: no row references it`);
    for (const key of rowKeys) if (!keys.has(key)) violations.push(`row points at ${key}: not in the bucket`);
    const orphanedMultipart = async () => {
      const orphans: string[] = [];
      for await (const mp of cluster.bucket.storage.listMultipart()) {
        const u = uploadById.get(mp.key.split('/')[1] ?? '');
        if (!u || !LIVE.includes(u.status) || u.multipart_id !== mp.multipartId) orphans.push(mp.key);
      }
      return orphans;
    };
    let multipart = 0;
    for await (const _ of cluster.bucket.storage.listMultipart()) multipart++;

    // 5. Jobs: nothing waiting, running, delayed or failed; the outbox relayed.
    const jobs = { waiting: 0, active: 0, delayed: 0, failed: 0, outbox: outbox.length };
    for (const q of queues) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'paused');
      jobs.waiting += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0);
      jobs.active += c.active ?? 0;
      jobs.delayed += c.delayed ?? 0;
      jobs.failed += c.failed ?? 0;
    }
    if (jobs.waiting + jobs.active + jobs.delayed + jobs.outbox > 0) settled = false;
    if (jobs.failed > 0) violations.push(`${jobs.failed} failed jobs`);

    // A process killed between starting the store's multipart upload and committing (or
    // aborting) its session leaves parts no session owns. Intake's reconciliation aborts
    // them once past its grace period: run it now (grace 0: only once settled, no job running) and
    // require that nothing orphaned is left.
    let multipartReconciled = 0;
    const orphans = await orphanedMultipart();
    if (orphans.length && settled) {
      const log = { info: () => undefined, warn: () => undefined } as unknown as AppContext['log'];
      await reconcileStorage({ store: createStore(db.kysely), storage: cluster.bucket.storage, clock: { now: () => new Date() }, log } as unknown as AppContext, 0);
      multipartReconciled = orphans.length;
    }
    for (const key of orphans.length && settled ? await orphanedMultipart() : orphans) violations.push(`multipart upload ${key}: no live session owns it`);

    return {
      settled,
      violations,
      counts: {
        uploadsAccepted: stats.accepted.length,
        uploadsCompleted: completed,
        uploadsStranded: stranded,
        assetsReady: assets.filter((x) => x.status === 'ready').length,
        renditions: sources.length,
        sessionsLeftOpen: uploads.filter((u) => LIVE.includes(u.status)).length,
        objectsInBucket: keys.size,
        openMultipartUploads: multipart,
        multipartReconciled,
        storedBytes,
        blobBytes,
        jobs,
      },
    };
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await db.close();
  }
}

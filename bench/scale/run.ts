/**
 * The scale-out proof: 2 API processes and 2 workers on PostgreSQL + Redis + Ceph RGW,
 * `uploads` uploads driven through both APIs alternately, one API process and one worker
 * SIGKILLed mid-run and restarted, then every invariant checked (checks.ts). Returns the
 * counts, timings and violations; the caller decides how to report them.
 */
import { Cleanup } from '../lib/children.js';
import { checkCluster, type CheckResult } from './checks.js';
import { Cluster } from './cluster.js';
import { Client, emptyStats, pool, type DriveStats } from './drive.js';
import { media, plan } from './media.js';

export interface ScaleOptions {
  uploads: number;
  /** Uploads in flight at once. */
  concurrency: number;
  /** The share of uploads done when one API process and one worker are killed (0.4). */
  killAt?: number;
  /** How long to wait for jobs and renditions after the last upload. */
  settleMs: number;
  /** Child processes' stderr not echoed (tests). */
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface ScaleResult {
  options: Omit<ScaleOptions, 'log'>;
  stats: DriveStats;
  check: CheckResult;
  readiness: Array<Record<string, string>>;
  kinds: Record<string, number>;
  timings: { driveSeconds: number; settleSeconds: number; uploadsPerSecond: number; killedAtUpload: number; restartSeconds: number };
  cpuSeconds: { api: number; worker: number };
  /** PostgreSQL commits and rows written per accepted upload, from create to renditions (all processes). */
  database: { commitsPerUpload: number; rowsInsertedPerUpload: number; rowsUpdatedPerUpload: number };
}

export async function runScaleTest(opts: ScaleOptions): Promise<ScaleResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cleanup = new Cleanup();
  try {
    // Short job leases: a killed worker's jobs are taken again within seconds, not a minute.
    const cluster = await Cluster.create(cleanup, { quiet: opts.quiet, extraEnv: { INTAKE_JOB_LEASE_SECONDS: '5', INTAKE_IMAGE_CONCURRENCY: '1' } });
    log(`cluster: database, Redis prefix ${cluster.redisPrefix}, bucket ${cluster.bucket.bucket}; starting 2 API processes and 2 workers`);
    const kinds = plan(opts.uploads);
    // The files are made while the processes start.
    const making = (async () => {
      const out = [];
      for (let i = 0; i < kinds.length; i++) out.push(await media(kinds[i]!, i));
      return out;
    })();
    making.catch(() => undefined); // Awaited below; a failed start must not leave it unhandled.
    await Promise.all([cluster.start('api', 0), cluster.start('api', 1), cluster.start('worker', 0), cluster.start('worker', 1)]);
    const apiUrls = cluster.apis().map((m) => m.url!).sort();
    const readiness = await Promise.all(apiUrls.map(async (u) => ((await (await fetch(`${u}/readyz`)).json()) as { data: { checks: Record<string, string> } }).data.checks));
    const { key } = await cluster.tenant('scale');

    const files = await making;
    log(`made ${kinds.length} files (images, videos, resumable)`);

    const stats = emptyStats();
    const client = new Client(apiUrls, key, stats);
    const killAt = Math.floor(kinds.length * (opts.killAt ?? 0.4));
    let done = 0;
    let chaos: Promise<number> | null = null;
    const cpuBefore = await cluster.cpu();
    const dbBefore = await cluster.databaseCounters();
    const started = performance.now();
    await pool(files, opts.concurrency, async (file, i) => {
      await client.upload(file, i);
      if (++done === killAt) chaos = killAndRestart(cluster, log);
    });
    const restartSeconds = await (chaos ?? Promise.resolve(0));
    const driveSeconds = (performance.now() - started) / 1000;
    log(`drove ${kinds.length} uploads in ${driveSeconds.toFixed(1)} s; waiting for jobs to settle`);

    const settleStart = performance.now();
    let check = await checkCluster(cluster, stats);
    while (!check.settled && performance.now() - settleStart < opts.settleMs) {
      await new Promise((r) => setTimeout(r, 1000));
      check = await checkCluster(cluster, stats);
    }
    if (!check.settled) check.violations.push(`not settled after ${opts.settleMs / 1000} s: ${JSON.stringify(check.counts.jobs)}, ${check.counts.uploadsCompleted}/${check.counts.uploadsAccepted} completed`);
    const cpuAfter = await cluster.cpu();
    const dbAfter = await cluster.databaseCounters();
    const perUpload = (k: keyof typeof dbAfter) => (dbAfter[k] - dbBefore[k]) / Math.max(1, stats.accepted.length);
    return {
      options: { uploads: opts.uploads, concurrency: opts.concurrency, settleMs: opts.settleMs, quiet: opts.quiet },
      stats,
      check,
      readiness,
      kinds: kinds.reduce<Record<string, number>>((n, k) => ({ ...n, [k]: (n[k] ?? 0) + 1 }), {}),
      timings: {
        driveSeconds,
        settleSeconds: (performance.now() - settleStart) / 1000,
        uploadsPerSecond: stats.accepted.length / driveSeconds,
        killedAtUpload: killAt,
        restartSeconds,
      },
      cpuSeconds: { api: cpuAfter.api - cpuBefore.api, worker: cpuAfter.worker - cpuBefore.worker },
      // Includes the checks' polling reads and the background work (sweeps, outbox relay) of the run.
      database: { commitsPerUpload: perUpload('xact_commit'), rowsInsertedPerUpload: perUpload('tup_inserted'), rowsUpdatedPerUpload: perUpload('tup_updated') },
    };
  } finally {
    await cleanup.run();
  }
}

/** SIGKILLs API process 0 and worker 0 while uploads are in flight, then starts them again; resolves with the seconds they were down. */
async function killAndRestart(cluster: Cluster, log: (line: string) => void): Promise<number> {
  const api = cluster.apis().find((m) => m.index === 0)!;
  const worker = cluster.members.find((m) => m.role === 'worker' && m.index === 0)!;
  const t0 = performance.now();
  await Promise.all([cluster.stop(api, 'SIGKILL'), cluster.stop(worker, 'SIGKILL')]);
  log('killed API process 0 and worker 0 (SIGKILL); restarting them');
  await Promise.all([cluster.start('api', 0), cluster.start('worker', 0)]);
  const down = (performance.now() - t0) / 1000;
  log(`API process 0 and worker 0 back after ${down.toFixed(1)} s`);
  return down;
}

export function scaleSummary(r: ScaleResult): string {
  const c = r.check.counts;
  return [
    `Scale-out proof: 2 API processes + 2 workers on PostgreSQL, Redis, Ceph RGW; ${r.options.uploads} uploads (${Object.entries(r.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${r.options.concurrency} at a time`,
    `  /readyz: ${r.readiness.map((x) => JSON.stringify(x)).join(' ')}`,
    `  killed API process 0 and worker 0 (SIGKILL) after upload ${r.timings.killedAtUpload}; both back in ${r.timings.restartSeconds.toFixed(1)} s`,
    `  sessions created ${r.stats.sessions}, requests failed over to the other API ${r.stats.failovers}, creates retried ${r.stats.retriedCreates}`,
    `  uploads accepted ${c.uploadsAccepted} (${r.stats.accepted.filter((a) => a.claimed).length} of them claimed by a complete sent before the kill), completed ${c.uploadsCompleted}, failed ${r.stats.failed.length}, left in verification by the killed process ${c.uploadsStranded}`,
    `  assets ready ${c.assetsReady}, renditions ${c.renditions}, sessions left open ${c.sessionsLeftOpen}`,
    `  bucket: ${c.objectsInBucket} objects, ${c.openMultipartUploads} open multipart uploads (${c.multipartReconciled} left by a killed process, aborted by reconciliation); stored_bytes ${c.storedBytes} = blobs and renditions ${c.blobBytes}`,
    `  jobs: waiting ${c.jobs.waiting}, active ${c.jobs.active}, delayed ${c.jobs.delayed}, failed ${c.jobs.failed}, outbox ${c.jobs.outbox}`,
    `  timings: drive ${r.timings.driveSeconds.toFixed(1)} s (${r.timings.uploadsPerSecond.toFixed(1)} uploads/s), settle ${r.timings.settleSeconds.toFixed(1)} s`,
    `  CPU seconds: API processes ${r.cpuSeconds.api.toFixed(1)}, workers ${r.cpuSeconds.worker.toFixed(1)} (ffmpeg and image decoders included)`,
    `  PostgreSQL per upload (background work included): ${r.database.commitsPerUpload.toFixed(1)} commits, ${r.database.rowsInsertedPerUpload.toFixed(1)} rows inserted, ${r.database.rowsUpdatedPerUpload.toFixed(1)} updated`,
    ...r.stats.failed.map((f) => `  FAILED ${f.filename}: ${f.error}`),
    r.check.violations.length ? `VIOLATIONS (${r.check.violations.length}):\n${r.check.violations.map((v) => `  - ${v}`).join('\n')}` : 'no violations',
  ].join('\n');
}

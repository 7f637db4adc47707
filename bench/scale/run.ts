/**
 * The scale-out proof: 2 API processes and 2 workers on PostgreSQL + Redis + Ceph RGW,
 * `uploads` uploads driven through both APIs alternately; mid-run, while uploads are being
 * verified and videos transcoded, one API process and one worker are SIGKILLed (and
 * restarted) and every key under the Redis prefix is deleted (Redis losing its data); then
 * every invariant checked (checks.ts): every accepted upload completed. Reports how long
 * after the kills the last upload caught by them was taken over and finished.
 */
import { openDatabase } from '../../src/db/database.js';
import { JOBS, type JobName } from '../../src/jobs/catalogue.js';
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
  /** What the kills and the flush caught in flight, and seconds from them until the last of it finished (null: not yet). */
  takeover: Takeover;
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
    let caught: InFlight | null = null;
    const takeover: Takeover = { verifying: 0, transcoding: 0, jobs: 0, verifiedAfterSeconds: null, transcodesTakenOverAfterSeconds: null, transcodedAfterSeconds: null, jobsRequeuedAfterSeconds: null, jobsAfterSeconds: null };
    const cpuBefore = await cluster.cpu();
    const dbBefore = await cluster.databaseCounters();
    const started = performance.now();
    await pool(files, opts.concurrency, async (file, i) => {
      await client.upload(file, i);
      if (++done === killAt) {
        chaos = (async () => {
          caught = await killFlushRestart(cluster, log, takeover);
          return caught.restartSeconds;
        })();
      }
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
    if (caught) await (caught as InFlight).tracking;
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
      takeover,
      cpuSeconds: { api: cpuAfter.api - cpuBefore.api, worker: cpuAfter.worker - cpuBefore.worker },
      // Includes the checks' polling reads and the background work (sweeps, outbox relay) of the run.
      database: { commitsPerUpload: perUpload('xact_commit'), rowsInsertedPerUpload: perUpload('tup_inserted'), rowsUpdatedPerUpload: perUpload('tup_updated') },
    };
  } finally {
    await cleanup.run();
  }
}

export interface Takeover {
  /** Uploads being verified when the API process was killed, and videos being transcoded when the worker was. */
  verifying: number;
  transcoding: number;
  /** Unfinished jobs Redis held when its keys were deleted. */
  jobs: number;
  verifiedAfterSeconds: number | null;
  /** The last caught transcode begun again by a worker (or finished), and the last of them finished. */
  transcodesTakenOverAfterSeconds: number | null;
  transcodedAfterSeconds: number | null;
  /** The last lost job back in Redis (or finished), and the last of them finished. */
  jobsRequeuedAfterSeconds: number | null;
  jobsAfterSeconds: number | null;
}

interface InFlight {
  restartSeconds: number;
  /** Resolves once everything caught has finished, or after 10 minutes. */
  tracking: Promise<void>;
}

/**
 * Waits (up to 30 s) until an upload is being verified and a video transcoded, then
 * SIGKILLs API process 0 and worker 0 and deletes every key under the Redis prefix, all at
 * once, and starts the two processes again. What was in flight is tracked in the database
 * until it has finished: `takeover` gets the seconds from the kill to the last of each.
 */
async function killFlushRestart(cluster: Cluster, log: (line: string) => void, takeover: Takeover): Promise<InFlight> {
  const db = openDatabase(cluster.databaseUrl, { poolSize: 2 });
  const k = db.kysely;
  const verifying = () => k.selectFrom('uploads').innerJoin('assets', 'assets.id', 'uploads.asset_id').select('uploads.id').where('uploads.status', '=', 'processing').where('assets.status', '=', 'pending').execute();
  const transcoding = () => k.selectFrom('assets').select('id').where('status', '=', 'processing').where('kind', '=', 'video').execute();
  const waitUntil = Date.now() + 30_000;
  while (Date.now() < waitUntil && (!(await verifying()).length || !(await transcoding()).length)) await new Promise((r) => setTimeout(r, 100));
  const api = cluster.apis().find((m) => m.index === 0)!;
  const worker = cluster.members.find((m) => m.role === 'worker' && m.index === 0)!;
  const [v, t, j] = await Promise.all([verifying(), transcoding(), k.selectFrom('job_outbox').select(['id', 'name']).where('relayed_at', 'is not', null).execute()]);
  const t0 = performance.now();
  const killedAt = Date.now();
  await Promise.all([cluster.stop(api, 'SIGKILL'), cluster.stop(worker, 'SIGKILL'), cluster.flushRedis()]);
  Object.assign(takeover, { verifying: v.length, transcoding: t.length, jobs: j.length });
  log(`killed API process 0 (${v.length} uploads being verified) and worker 0 (${t.length} videos transcoding) with SIGKILL, and deleted the Redis prefix (${j.length} unfinished jobs); restarting them`);
  const after = () => (performance.now() - t0) / 1000;
  const tracking = (async () => {
    const left = { v: new Set(v.map((r) => r.id)), t: new Set(t.map((r) => r.id)), j: new Set(j.map((r) => r.id)) };
    // Taken over: a worker began the transcode again; back: the lost job is in Redis again.
    const notTakenOver = new Set(t.map((r) => `process.${r.id}`));
    const notBack = new Set(j.map((r) => r.id));
    const bullJobs = [...t.map((r) => ({ queue: 'media', id: `process.${r.id}` })), ...j.map((r) => ({ queue: JOBS[r.name as JobName].queue, id: r.id }))];
    const mark = () => {
      if (!left.v.size) takeover.verifiedAfterSeconds ??= after();
      if (!notTakenOver.size) takeover.transcodesTakenOverAfterSeconds ??= after();
      if (!left.t.size) takeover.transcodedAfterSeconds ??= after();
      if (!notBack.size) takeover.jobsRequeuedAfterSeconds ??= after();
      if (!left.j.size) takeover.jobsAfterSeconds ??= after();
    };
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline && (left.v.size || left.t.size || left.j.size)) {
      const [sv, st, sj, redis] = await Promise.all([verifying(), transcoding(), k.selectFrom('job_outbox').select('id').execute(), cluster.jobStates(bullJobs)]);
      const still = (rows: Array<{ id: string }>) => new Set(rows.map((r) => r.id));
      const [nv, nt, nj] = [still(sv), still(st), still(sj)];
      for (const id of left.v) if (!nv.has(id)) left.v.delete(id);
      for (const id of left.t) if (!nt.has(id)) left.t.delete(id);
      for (const id of left.j) if (!nj.has(id)) left.j.delete(id);
      for (const id of notTakenOver) if (!left.t.has(id.slice('process.'.length)) || (redis.get(id)?.processedOn ?? 0) > killedAt) notTakenOver.delete(id);
      for (const id of notBack) if (!left.j.has(id) || redis.get(id)?.queued) notBack.delete(id);
      mark();
      await new Promise((r) => setTimeout(r, 250));
    }
    mark();
  })().finally(() => db.close());
  await Promise.all([cluster.start('api', 0), cluster.start('worker', 0)]);
  const down = after();
  log(`API process 0 and worker 0 back after ${down.toFixed(1)} s`);
  return { restartSeconds: down, tracking };
}

export function scaleSummary(r: ScaleResult): string {
  const c = r.check.counts;
  return [
    `Scale-out proof: 2 API processes + 2 workers on PostgreSQL, Redis, Ceph RGW; ${r.options.uploads} uploads (${Object.entries(r.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${r.options.concurrency} at a time`,
    `  /readyz: ${r.readiness.map((x) => JSON.stringify(x)).join(' ')}`,
    `  killed API process 0 and worker 0 (SIGKILL) and deleted the Redis prefix after upload ${r.timings.killedAtUpload}; both back in ${r.timings.restartSeconds.toFixed(1)} s`,
    `  taken over after the kills: ${takeoverLine(r.takeover)}`,
    `  sessions created ${r.stats.sessions}, requests failed over to the other API ${r.stats.failovers}, creates retried ${r.stats.retriedCreates}`,
    `  uploads accepted ${c.uploadsAccepted} (${r.stats.accepted.filter((a) => a.claimed).length} of them claimed by a complete sent before the kill), completed ${c.uploadsCompleted}, failed ${r.stats.failed.length}, still being verified ${c.uploadsStranded}`,
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

function takeoverLine(t: Takeover): string {
  const secs = (x: number | null) => (x === null ? 'not finished' : `last done ${x.toFixed(1)} s after the kill`);
  const at = (x: number | null, what: string) => (x === null ? `not ${what}` : `last ${what} ${x.toFixed(1)} s after the kill`);
  return `${t.verifying} verifications (${secs(t.verifiedAfterSeconds)}), ${t.transcoding} transcodes (${at(t.transcodesTakenOverAfterSeconds, 'begun again')}, ${secs(t.transcodedAfterSeconds)}), ${t.jobs} jobs Redis lost (${at(t.jobsRequeuedAfterSeconds, 'back in Redis')}, ${secs(t.jobsAfterSeconds)})`;
}

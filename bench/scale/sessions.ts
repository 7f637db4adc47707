/**
 * `npm run bench -- scale`: POST /v1/uploads at 50 connections against 1 API process, then
 * against 2 (25 connections each, both loaded at once), on the scale-out configuration
 * (PostgreSQL, rate limits in Redis, S3 signing), with the embedded default (SQLite, local
 * disk, one process) as the reference in the same run. Two rounds of each, averaged.
 * Reports sessions/s, the 2/1 ratio and the API processes' CPU per session from /proc: on a
 * machine whose cores are shared with the load generator (and PostgreSQL, and Redis), the
 * ratio cannot reach 2, and CPU per session says whether the second process costs extra.
 */
import type { Result } from 'autocannon';
import pg from 'pg';
import { cpuSeconds, type Cleanup } from '../lib/children.js';
import { CONNECTIONS, load, MEASURE_SECONDS, WARMUP_SECONDS } from '../sessions.js';
import { startIntake } from '../intake.js';
import { Cluster, type Member } from './cluster.js';

export interface ScaleSide {
  processes: number;
  sessionsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  /** CPU (user + system) of the API processes per session. */
  apiCpuMicrosPerSession: number;
  /** CPU of this process (autocannon) per session. */
  loadGeneratorCpuMicrosPerSession: number;
  /** CPU of the PostgreSQL backends serving the API processes' connections, per session. */
  postgresCpuMicrosPerSession: number;
}

export interface DatabaseWork {
  /** Transactions committed (a statement outside a transaction commits on its own). */
  commitsPerSession: number;
  rowsInsertedPerSession: number;
  rowsUpdatedPerSession: number;
  /** Rows read by index or sequential scans. */
  rowsReadPerSession: number;
}

export interface ScaleSessionsResult {
  /** The embedded default (SQLite, local disk) in the same run: the single-process reference. */
  embedded: ScaleSide;
  one: ScaleSide;
  two: ScaleSide;
  /** PostgreSQL's own counters (pg_stat_database) over the first 1-process round. */
  database: DatabaseWork;
  /** two / one sessions per second. */
  ratio: number;
  cores: number;
}

/** CPU seconds of each PostgreSQL backend connected to the database (the API processes' pools). */
async function backendCpu(url: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const out = new Map<number, number>();
    for (const { pid } of rows as Array<{ pid: number }>) out.set(pid, await cpuSeconds(pid).catch(() => 0));
    return out;
  } finally {
    await client.end();
  }
}

interface Target {
  pid: number;
  url: string;
}

const target = (m: Member): Target => ({ pid: m.child.pid!, url: m.url! });

/** `dbUrl` null: the embedded default (SQLite in the API process), nothing else to count. */
async function measure(apis: Target[], key: string, seconds: number, dbUrl: string | null): Promise<ScaleSide> {
  const per = Math.floor(CONNECTIONS / apis.length);
  const cpu = async () => (await Promise.all(apis.map((m) => cpuSeconds(m.pid)))).reduce((a, b) => a + b, 0);
  const backends = async () => (dbUrl ? backendCpu(dbUrl) : new Map<number, number>());
  const pgBefore = await backends();
  const before = await cpu();
  const gen = process.cpuUsage();
  const results: Result[] = await Promise.all(apis.map((m) => load(m, key, seconds, per)));
  const genUsed = process.cpuUsage(gen);
  const used = (await cpu()) - before;
  // Backends that appeared during the run count from zero.
  let pgUsed = 0;
  for (const [pid, now] of await backends()) pgUsed += now - (pgBefore.get(pid) ?? 0);
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const side: ScaleSide = {
    processes: apis.length,
    sessionsPerSecond: results.reduce((n, r) => n + r.requests.total / r.duration, 0),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    apiCpuMicrosPerSession: (used * 1e6) / total,
    loadGeneratorCpuMicrosPerSession: (genUsed.user + genUsed.system) / total,
    postgresCpuMicrosPerSession: (pgUsed * 1e6) / total,
  };
  process.stderr.write(`  ${dbUrl ? `${apis.length} API process(es)` : 'embedded (SQLite)'}: ${side.sessionsPerSecond.toFixed(0)} sessions/s, p99 ${side.p99Ms} ms, non-2xx ${side.non2xx}, API CPU ${side.apiCpuMicrosPerSession.toFixed(0)} µs/session, PostgreSQL ${side.postgresCpuMicrosPerSession.toFixed(0)} µs/session\n`);
  return side;
}

function mean(a: ScaleSide, b: ScaleSide): ScaleSide {
  const avg = (k: 'sessionsPerSecond' | 'apiCpuMicrosPerSession' | 'loadGeneratorCpuMicrosPerSession' | 'postgresCpuMicrosPerSession') => (a[k] + b[k]) / 2;
  return {
    processes: a.processes,
    sessionsPerSecond: avg('sessionsPerSecond'),
    apiCpuMicrosPerSession: avg('apiCpuMicrosPerSession'),
    loadGeneratorCpuMicrosPerSession: avg('loadGeneratorCpuMicrosPerSession'),
    postgresCpuMicrosPerSession: avg('postgresCpuMicrosPerSession'),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    non2xx: a.non2xx + b.non2xx,
  };
}

export async function benchScaleSessions(cleanup: Cleanup, cores: number): Promise<ScaleSessionsResult> {
  const cluster = await Cluster.create(cleanup, { extraEnv: { INTAKE_LOG_LEVEL: 'warn' } });
  const apis = [await cluster.start('api', 0), await cluster.start('api', 1)];
  const { key } = await cluster.tenant('bench');
  // Warm-up of both (JIT, connection pools), unmeasured.
  await Promise.all(apis.map((m) => load(target(m), key, WARMUP_SECONDS, CONNECTIONS / 2)));
  const embeddedServer = await startIntake(cleanup);
  await load(embeddedServer, embeddedServer.key, WARMUP_SECONDS);
  const embedded1 = await measure([embeddedServer], embeddedServer.key, MEASURE_SECONDS, null);
  const before = await cluster.databaseCounters();
  const one1 = await measure([target(apis[0]!)], key, MEASURE_SECONDS, cluster.databaseUrl);
  // Counters reach pg_stat_database within about a second of a transaction's end.
  await new Promise((r) => setTimeout(r, 1500));
  const after = await cluster.databaseCounters();
  const sessions = one1.sessionsPerSecond * MEASURE_SECONDS;
  const per = (k: keyof typeof after) => (after[k] - before[k]) / sessions;
  const database: DatabaseWork = { commitsPerSession: per('xact_commit'), rowsInsertedPerSession: per('tup_inserted'), rowsUpdatedPerSession: per('tup_updated'), rowsReadPerSession: per('tup_fetched') };
  const two1 = await measure(apis.map(target), key, MEASURE_SECONDS, cluster.databaseUrl);
  const two2 = await measure(apis.map(target), key, MEASURE_SECONDS, cluster.databaseUrl);
  const one2 = await measure([target(apis[1]!)], key, MEASURE_SECONDS, cluster.databaseUrl);
  const embedded2 = await measure([embeddedServer], embeddedServer.key, MEASURE_SECONDS, null);
  const one = mean(one1, one2);
  const two = mean(two1, two2);
  return { embedded: mean(embedded1, embedded2), one, two, database, ratio: two.sessionsPerSecond / one.sessionsPerSecond, cores };
}

export function scaleSessionsSummary(r: ScaleSessionsResult): string {
  const line = (s: ScaleSide, name = `${s.processes} API process${s.processes > 1 ? 'es' : ''}`) =>
    `  ${name}: ${s.sessionsPerSecond.toFixed(0)} sessions/s, p99 ${s.p99Ms} ms, non-2xx ${s.non2xx}, API CPU ${s.apiCpuMicrosPerSession.toFixed(0)} µs/session, PostgreSQL ${s.postgresCpuMicrosPerSession.toFixed(0)} µs/session, load generator ${s.loadGeneratorCpuMicrosPerSession.toFixed(0)} µs/session`;
  return [
    `Sessions/s on PostgreSQL + Redis + S3, ${CONNECTIONS} connections, 1 vs 2 API processes (${r.cores} cores shared with the load generator, PostgreSQL and Redis; 2 rounds each)`,
    line(r.embedded, 'embedded default (SQLite, local disk), same run'),
    line(r.one),
    line(r.two),
    `  ratio 2 / 1: ${r.ratio.toFixed(2)}; API CPU per session 2 / 1: ${(r.two.apiCpuMicrosPerSession / r.one.apiCpuMicrosPerSession).toFixed(2)}`,
    `  PostgreSQL per session: ${r.database.commitsPerSession.toFixed(1)} commits, ${r.database.rowsInsertedPerSession.toFixed(1)} rows inserted, ${r.database.rowsUpdatedPerSession.toFixed(1)} updated, ${r.database.rowsReadPerSession.toFixed(1)} read`,
  ].join('\n');
}

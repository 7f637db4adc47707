/**
 * Benchmark 2: POST /v1/uploads (create a small image session) under 50 concurrent
 * connections, against a bare Fastify route that parses the same JSON body, and against
 * a bare Fastify route doing one SQLite insert and one HMAC (bench/servers/insert-hmac.ts).
 * Each target gets an unmeasured warm-up (JIT, SQLite page cache) before the measured run.
 * `npm run bench -- sessions [--before <cli.js>]` runs only this comparison, A B A B.
 */
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { cpuSeconds, peakRss, resetPeakRss, startServer, type Cleanup, type Server } from './lib/children.js';
import { startIntake, type IntakeServer } from './intake.js';

export const CONNECTIONS = 50;
export const WARMUP_SECONDS = 2;
export const MEASURE_SECONDS = 10;
const BODY = JSON.stringify({ filename: 'a.png', content_type: 'image/png', file_size: 1000 });

export interface LoadSide {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Server CPU (user + system) per request: steadier than requests/s on a busy machine. */
  cpuMicrosPerRequest: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
}

/** Two rounds of one server, averaged: rates and CPU the mean, latencies and memory the worse. */
export function meanOfRounds(x: LoadSide, y: LoadSide): LoadSide {
  const avg = (k: keyof LoadSide) => (x[k] + y[k]) / 2;
  return {
    requestsPerSecond: avg('requestsPerSecond'),
    cpuMicrosPerRequest: avg('cpuMicrosPerRequest'),
    p50Ms: Math.max(x.p50Ms, y.p50Ms),
    p99Ms: Math.max(x.p99Ms, y.p99Ms),
    maxMs: Math.max(x.maxMs, y.maxMs),
    requests: x.requests + y.requests,
    non2xx: x.non2xx + y.non2xx,
    errors: x.errors + y.errors,
    rssBeforeBytes: Math.max(x.rssBeforeBytes, y.rssBeforeBytes),
    peakRssBytes: Math.max(x.peakRssBytes, y.peakRssBytes),
  };
}

export interface SessionsResult {
  connections: number;
  seconds: number;
  baseline: LoadSide;
  intake: LoadSide;
  /** intake / baseline requests per second. */
  ratio: number;
  /** The bare route doing one SQLite insert and one HMAC, measured in the same run. */
  insertHmac?: LoadSide;
}

export async function load(server: Pick<Server, 'url'>, key: string | null, seconds: number, connections = CONNECTIONS): Promise<Result> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  return autocannon({ url: `${server.url}/v1/uploads`, method: 'POST', headers, body: BODY, connections, duration: seconds });
}

async function measure(server: Server, key: string | null): Promise<LoadSide> {
  await load(server, key, WARMUP_SECONDS);
  globalThis.gc?.();
  const rssBefore = await resetPeakRss(server.pid);
  const cpuBefore = await cpuSeconds(server.pid);
  const r = await load(server, key, MEASURE_SECONDS);
  const cpu = (await cpuSeconds(server.pid)) - cpuBefore;
  const side: LoadSide = {
    requestsPerSecond: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuMicrosPerRequest: (cpu * 1e6) / r.requests.total,
    rssBeforeBytes: rssBefore,
    peakRssBytes: await peakRss(server.pid),
  };
  process.stderr.write(`  sessions ${server.name}: ${side.requestsPerSecond.toFixed(0)} req/s, p99 ${side.p99Ms} ms, non-2xx ${side.non2xx}, server CPU ${side.cpuMicrosPerRequest.toFixed(0)} µs/req\n`);
  return side;
}

export async function benchSessions(baselineServer: Server, intake: IntakeServer, baselineKey: string | null = null, insertHmac?: Server): Promise<SessionsResult> {
  const baseline = await measure(baselineServer, baselineKey);
  const measured = await measure(intake, intake.key);
  return {
    connections: CONNECTIONS,
    seconds: MEASURE_SECONDS,
    baseline,
    intake: measured,
    ratio: measured.requestsPerSecond / baseline.requestsPerSecond,
    insertHmac: insertHmac ? await measure(insertHmac, null) : undefined,
  };
}

/** Starts the bare insert + HMAC baseline (bench/servers/insert-hmac.ts) in its own temp folder. */
export async function startInsertHmac(cleanup: Cleanup): Promise<Server> {
  const dir = await cleanup.tempDir('intake-bench-insert-hmac-');
  return startServer(cleanup, 'insert-hmac', fileURLToPath(new URL('./servers/insert-hmac.js', import.meta.url)), [dir]);
}

export interface SessionPathResult {
  connections: number;
  seconds: number;
  rounds: number;
  /** Mean of the rounds, per server: the insert + HMAC baseline, this build, and optionally another build. */
  baseline: LoadSide;
  intake: LoadSide;
  before?: LoadSide;
}

/**
 * `npm run bench -- sessions [--before <cli.js>]`: the insert + HMAC route, this build's
 * Intake and, with --before, another build's (e.g. main's dist/intake/cli.js, or this
 * one with other Node flags in INTAKE_BENCH_BEFORE_FLAGS), each
 * warmed up and measured in turn, for two rounds in rotated order (A B C, C B A), so a
 * shift in the machine's load reaches every server alike.
 */
export async function benchSessionPath(cleanup: Cleanup, beforeCli?: string): Promise<SessionPathResult> {
  const baseline = await startInsertHmac(cleanup);
  const intake = await startIntake(cleanup);
  // INTAKE_BENCH_BEFORE_FLAGS: the --before side's Node flags instead of the start script's.
  const flags = process.env.INTAKE_BENCH_BEFORE_FLAGS?.split(' ').filter(Boolean);
  const before = beforeCli ? await startIntake(cleanup, {}, beforeCli, flags) : undefined;
  const targets: Array<[Server, string | null]> = [[baseline, null], [intake, intake.key]];
  if (before) targets.push([{ ...before, name: 'intake-before' }, before.key]);
  const rounds: LoadSide[][] = [[], []];
  for (const [i, t] of targets.entries()) rounds[0]![i] = await measure(t[0], t[1]);
  for (const [i, t] of [...targets.entries()].reverse()) rounds[1]![i] = await measure(t[0], t[1]);
  const mean = (i: number) => meanOfRounds(rounds[0]![i]!, rounds[1]![i]!);
  return { connections: CONNECTIONS, seconds: MEASURE_SECONDS, rounds: 2, baseline: mean(0), intake: mean(1), before: before ? mean(2) : undefined };
}

export function sessionPathSummary(r: SessionPathResult): string {
  const row = (name: string, s: LoadSide) =>
    `  ${name.padEnd(22)} ${s.requestsPerSecond.toFixed(0).padStart(7)}/s   ${(s.requestsPerSecond / r.baseline.requestsPerSecond).toFixed(2).padStart(5)}   p99 ${String(s.p99Ms).padStart(4)} ms   ${s.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU   non-2xx ${s.non2xx + s.errors}`;
  const lines = [
    `POST /v1/uploads, ${r.connections} connections, ${r.rounds} rounds × ${r.seconds} s each (mean; p99 the worse round): requests/s, ratio to the insert + HMAC route, p99, server CPU per session`,
    row('insert + HMAC route', r.baseline),
    row('Intake (this build)', r.intake),
  ];
  if (r.before) {
    lines.push(row('Intake (--before)', r.before));
    lines.push(`  this build / before: ${(r.intake.requestsPerSecond / r.before.requestsPerSecond).toFixed(2)}× sessions/s, ${(r.intake.cpuMicrosPerRequest / r.before.cpuMicrosPerRequest).toFixed(2)}× CPU per session`);
  }
  const ratio = r.intake.requestsPerSecond / r.baseline.requestsPerSecond;
  lines.push('', `  [${ratio >= 0.5 ? 'PASS' : 'FAIL'}] sessions/s, Intake / insert + HMAC route: ${ratio.toFixed(2)} (goal ≥ 0.5)`);
  lines.push(`  [${r.intake.p99Ms < 25 ? 'PASS' : 'FAIL'}] session p99: ${r.intake.p99Ms} ms (goal < 25 ms)`);
  return lines.join('\n');
}

/**
 * Benchmark 2: POST /v1/uploads (create a small image session) under 50 concurrent
 * connections, against a bare Fastify route that parses the same JSON body.
 * Each target gets an unmeasured warm-up (JIT, SQLite page cache) before the measured run.
 */
import autocannon, { type Result } from 'autocannon';
import { cpuSeconds, peakRss, resetPeakRss, type Server } from './lib/children.js';
import type { IntakeServer } from './intake.js';

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

export async function benchSessions(baselineServer: Server, intake: IntakeServer, baselineKey: string | null = null): Promise<SessionsResult> {
  const baseline = await measure(baselineServer, baselineKey);
  const measured = await measure(intake, intake.key);
  return {
    connections: CONNECTIONS,
    seconds: MEASURE_SECONDS,
    baseline,
    intake: measured,
    ratio: measured.requestsPerSecond / baseline.requestsPerSecond,
  };
}

/**
 * `npm run bench -- ratelimit`: POST /v1/uploads at 50 connections on Intake with the
 * in-process token buckets, then on Intake with the same buckets in Redis
 * (INTAKE_REDIS_URL), in the same run. Redis's own CPU is reported too: it is the
 * part a shared limiter adds outside the API process.
 */
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Cleanup } from './lib/children.js';
import { startIntake } from './intake.js';
import { benchSessions, meanOfRounds, type LoadSide } from './sessions.js';

const REDIS_URL = process.env.INTAKE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface RateLimitResult {
  inProcess: LoadSide;
  redis: LoadSide;
  /** Redis server CPU per request of the Redis run, µs. */
  redisCpuMicrosPerRequest: number;
  /** redis / in-process requests per second. */
  ratio: number;
}

async function redisCpuSeconds(r: Redis): Promise<number> {
  const info = await r.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export async function benchRateLimits(cleanup: Cleanup): Promise<RateLimitResult> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const prefix = `intake-bench-${randomBytes(4).toString('hex')}`;
  try {
    const local = await startIntake(cleanup);
    const shared = await startIntake(cleanup, { INTAKE_REDIS_URL: REDIS_URL, INTAKE_REDIS_PREFIX: prefix });
    // benchSessions measures its first server, then its second, each after a warm-up; the
    // second place has measured faster here whichever server held it, so each takes both.
    const cpuBefore = await redisCpuSeconds(r);
    const a = await benchSessions(local, shared, local.key);
    const redisCpu = (await redisCpuSeconds(r)) - cpuBefore;
    const b = await benchSessions(shared, local, shared.key);
    const inProcess = meanOfRounds(a.baseline, b.intake);
    const redis = meanOfRounds(a.intake, b.baseline);
    return {
      inProcess,
      redis,
      // Includes the warm-up requests of the first pass; an upper bound per measured request.
      redisCpuMicrosPerRequest: (redisCpu * 1e6) / a.intake.requests,
      ratio: redis.requestsPerSecond / inProcess.requestsPerSecond,
    };
  } finally {
    for await (const keys of r.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) if (keys.length) await r.del(...keys);
    r.disconnect();
  }
}


export function rateLimitSummary(x: RateLimitResult): string {
  const line = (name: string, s: LoadSide) =>
    `  ${name}: ${s.requestsPerSecond.toFixed(0)} sessions/s, p99 ${s.p99Ms} ms, non-2xx ${s.non2xx}, API CPU ${s.cpuMicrosPerRequest.toFixed(0)} µs/session`;
  return [
    'Rate limits: POST /v1/uploads at 50 connections, in-process buckets vs Redis buckets (same run, each measured first and second)',
    line('in-process', x.inProcess),
    line('Redis     ', x.redis),
    `  Redis server CPU: ≤ ${x.redisCpuMicrosPerRequest.toFixed(0)} µs/session (warm-up included)`,
    `  ratio Redis / in-process: ${x.ratio.toFixed(2)}`,
  ].join('\n');
}

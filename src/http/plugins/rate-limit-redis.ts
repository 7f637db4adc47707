/**
 * The same token bucket as rate-limit.ts, kept in Redis so every API process draws from
 * one bucket per subject. One Lua script per request reads, refills, takes and writes the
 * bucket atomically on Redis's own clock (processes' clocks need not agree).
 *
 * Not @fastify/rate-limit: its Redis store is a fixed window (INCR + PEXPIRE), which lets
 * twice the limit through across a window edge — the reason the in-process limiter became
 * a token bucket — and it would have to be bent to the per-address-for-failed-auth rule.
 *
 * Redis unreachable fails open onto per-process buckets (docs/API-NOTES.md): the limit
 * still holds in each process, and uploads do not stop because a counter store is down.
 */
import type { Redis } from 'ioredis';
import { decide, RateLimiter, type Limiter, type RateDecision } from './rate-limit.js';

// KEYS[1] the bucket; ARGV[1] limit, ARGV[2] window in ms. Returns {allowed, tokens, nowMs}
// with tokens as a string (Lua numbers come back to Redis truncated to integers).
const TOKEN_BUCKET = `
local limit = tonumber(ARGV[1])
local perMs = limit / tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
if tokens == nil then
  tokens = limit
else
  tokens = math.min(limit, tokens + math.max(0, now - tonumber(b[2])) * perMs)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((limit - tokens) / perMs) + 1000)
return {allowed, tostring(tokens), tostring(now)}
`;

type BucketRedis = Redis & { intakeTokenBucket(key: string, limit: number, windowMs: number): Promise<[number, string, string]> };

const WARN_EVERY_MS = 30_000;

export class RedisRateLimiter implements Limiter {
  private readonly perMs: number;
  private readonly fallback: RateLimiter;
  private warnedAt = 0;

  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. "intake:ratelimit:key:"; the subject is appended. */
    private readonly prefix: string,
    private readonly limit: number,
    private readonly onOutage: (err: unknown) => void,
    private readonly windowMs = 60_000,
  ) {
    this.perMs = limit / windowMs;
    this.fallback = new RateLimiter(limit, windowMs);
    if (!('intakeTokenBucket' in redis)) redis.defineCommand('intakeTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET });
  }

  async hit(subject: string): Promise<RateDecision> {
    try {
      const [allowed, tokens, now] = await (this.redis as BucketRedis).intakeTokenBucket(this.prefix + subject, this.limit, this.windowMs);
      return decide(this.limit, this.perMs, Number(tokens), allowed === 1, Number(now));
    } catch (err) {
      const now = Date.now();
      if (now - this.warnedAt >= WARN_EVERY_MS) {
        this.warnedAt = now;
        this.onOutage(err);
      }
      return this.fallback.hit(subject, now);
    }
  }
}

/** ioredis options for the limiter's connection: a request never waits on a Redis that is not answering. */
export const LIMITER_REDIS_OPTIONS = {
  // Fail at once while disconnected (and fall back) instead of queueing behind reconnects.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 500,
  lazyConnect: true,
} as const;

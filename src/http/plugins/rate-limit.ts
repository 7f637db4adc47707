/**
 * Token-bucket rate limits, in process memory (the embedded default has one API
 * process): a bucket of `limit` tokens per subject, refilled continuously at `limit` per
 * minute. Unlike a fixed one-minute window, no edge lets twice the limit through: a full
 * bucket is at most `limit` requests, then one every 60/limit seconds. Used per API key
 * (every authenticated response carries the X-RateLimit-* headers) and per client address
 * (requests without a valid key, and /files/* traffic).
 */
import { IntakeError } from '../../lib/errors.js';

export interface RateDecision {
  limit: number;
  remaining: number;
  /** Unix seconds when the bucket is full again. */
  reset: number;
  allowed: boolean;
  /** Seconds until the next request would be allowed. */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_SUBJECTS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly limit: number,
    windowMs = 60_000,
  ) {
    this.perMs = limit / windowMs;
  }

  /** Takes a token for `subject` if one is there. */
  hit(subject: string, nowMs = Date.now()): RateDecision {
    const bucket = this.refill(subject, nowMs);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return this.decision(bucket, allowed, nowMs);
  }

  private refill(subject: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(subject);
    if (!bucket) {
      if (this.buckets.size >= MAX_SUBJECTS) this.prune(nowMs);
      bucket = { tokens: this.limit, at: nowMs };
      this.buckets.set(subject, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(this.limit, bucket.tokens + Math.max(0, nowMs - bucket.at) * this.perMs);
    bucket.at = nowMs;
    return bucket;
  }

  /** Forgets subjects whose bucket has refilled (they are as good as new); all of them if that is not enough. */
  private prune(nowMs: number): void {
    for (const [subject, b] of this.buckets) {
      if (b.tokens + (nowMs - b.at) * this.perMs >= this.limit) this.buckets.delete(subject);
    }
    if (this.buckets.size >= MAX_SUBJECTS) this.buckets.clear();
  }

  private decision(bucket: Bucket, allowed: boolean, nowMs: number): RateDecision {
    const missing = this.limit - bucket.tokens;
    return {
      limit: this.limit,
      remaining: Math.max(0, Math.floor(bucket.tokens)),
      reset: Math.ceil((nowMs + missing / this.perMs) / 1000),
      allowed,
      retryAfter: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }
}

export function rateLimited(d: RateDecision, what = 'this API key'): IntakeError {
  return new IntakeError('rate_limited', `Too many requests for ${what}; slow down.`, {
    limit: d.limit,
    retry_after: d.retryAfter,
  });
}

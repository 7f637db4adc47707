/**
 * Per-key fixed-window rate limit, in process memory (the embedded default has one API
 * process). Every authenticated response carries the X-RateLimit-* headers.
 */
import { IntakeError } from '../../lib/errors.js';

export interface RateDecision {
  limit: number;
  remaining: number;
  /** Unix seconds when the window resets. */
  reset: number;
  allowed: boolean;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  hit(subject: string, nowMs = Date.now()): RateDecision {
    const start = nowMs - (nowMs % this.windowMs);
    let w = this.windows.get(subject);
    if (!w || w.start !== start) {
      if (this.windows.size > 100_000) this.windows.clear();
      w = { start, count: 0 };
      this.windows.set(subject, w);
    }
    w.count++;
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - w.count),
      reset: Math.ceil((start + this.windowMs) / 1000),
      allowed: w.count <= this.limit,
    };
  }
}

export function rateLimited(d: RateDecision, nowMs = Date.now()): IntakeError {
  return new IntakeError('rate_limited', 'Too many requests for this API key; slow down.', {
    limit: d.limit,
    retry_after: Math.max(1, d.reset - Math.floor(nowMs / 1000)),
  });
}

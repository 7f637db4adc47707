/**
 * Backoff for requests that may succeed when tried again: no answer, a 5xx, a 429, or a
 * 409 `upload_in_progress`/`verifying` (another request still holds the session).
 * Exponential with full jitter, so many clients retrying at once spread out.
 */
import { IntakeError, IntakeNetworkError } from './errors.js';
import type { RetryOptions } from './upload-types.js';

const DEFAULTS = { retries: 5, minDelayMs: 500, maxDelayMs: 15_000 };
const BUSY_REASONS = new Set(['upload_in_progress', 'verifying']);

export function isRetryable(err: unknown): boolean {
  if (err instanceof IntakeNetworkError) return true;
  if (!(err instanceof IntakeError)) return false;
  if (err.status >= 500 || err.status === 429) return true;
  return err.status === 409 && BUSY_REASONS.has(err.reason ?? '');
}

/** The delay before attempt `attempt` (1-based): random up to min(max, min × 2^(attempt-1)), at least what `Retry-After` asks (capped at max). */
export function backoffDelay(attempt: number, options: RetryOptions = {}, retryAfterSeconds: number | null = null): number {
  const { minDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  const jittered = Math.random() * ceiling;
  return retryAfterSeconds === null ? jittered : Math.max(jittered, Math.min(maxDelayMs, retryAfterSeconds * 1000));
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, throws something not worth retrying, or the retries run out.
 * `fn` gets the attempt number (1-based).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}, signal?: AbortSignal): Promise<T> {
  const retries = options.retries ?? DEFAULTS.retries;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted || attempt > retries || !isRetryable(err)) throw err;
      await sleep(backoffDelay(attempt, options, err instanceof IntakeError ? err.retryAfter : null), signal);
    }
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time equality of two strings of any length (compares their digests). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`stream exceeded ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

/**
 * Pass-through that hashes and counts bytes on the way and fails the pipeline the
 * moment more than `limit` bytes have passed, so an oversize body is stopped mid-stream.
 */
export class HashingMeter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  /** `hashing` false: only count and limit (a copy that needs no digest). */
  constructor(
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly hashing = true,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new TooLargeError(this.limit));
    if (this.hashing) this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

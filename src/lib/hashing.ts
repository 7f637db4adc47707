import crypto, { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

type Digest = (value: string | Buffer, encoding: 'hex' | 'buffer') => string | Buffer;
// crypto.hash (Node ≥ 20.12) hashes a small value without a Hash object: every request
// hashes its API key a few times.
const oneShot = (crypto as unknown as { hash?: (alg: string, v: string | Buffer, enc: string) => string | Buffer }).hash;
const digest: Digest = oneShot
  ? (value, encoding) => oneShot('sha256', value, encoding)
  : (value, encoding) => (encoding === 'hex' ? createHash('sha256').update(value).digest('hex') : createHash('sha256').update(value).digest());

export function sha256Hex(value: string | Buffer): string {
  return digest(value, 'hex') as string;
}

export function sha256(value: string | Buffer): Buffer {
  return digest(value, 'buffer') as Buffer;
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

/**
 * Pass-through that counts bytes, fails past `limit` like HashingMeter, and digests them
 * with each of `algorithms` (node:crypto names: sha256, sha1, md5) on the way.
 */
export class DigestingMeter extends Transform {
  private readonly hashes: Map<string, crypto.Hash>;
  bytes = 0;

  constructor(
    private readonly limit: number,
    algorithms: readonly string[],
  ) {
    super();
    this.hashes = new Map(algorithms.map((a) => [a, createHash(a)]));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new TooLargeError(this.limit));
    for (const h of this.hashes.values()) h.update(chunk);
    done(null, chunk);
  }

  /** Each algorithm's digest; call once, after the stream ended. */
  digests(): Record<string, Buffer> {
    return Object.fromEntries([...this.hashes].map(([a, h]) => [a, h.digest()]));
  }
}

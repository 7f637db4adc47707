/**
 * Appending on S3 (tus sessions): the growing object is a multipart upload. A request's
 * bytes go into a tail file on local disk; each time the tail holds a part's worth it is
 * sent as the next part (UploadPart) and starts again empty, so a session has at most one
 * part-sized file here and never its bytes in memory. The tail is fsynced before an
 * offset is answered. The offset is what S3 holds (ListParts) plus the tail: after a
 * crash, or on a machine without the tail, a client resumes after the parts S3 holds.
 * A tail is named for the part it will become, so one left from before its part was
 * stored (a crash between the two) is known to be stale.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingMeter, TooLargeError } from '../lib/hashing.js';
import { isDiskError, isMissing } from './disk.js';
import {
  MultipartNotFoundError,
  ObjectAbortedError,
  ObjectTooLargeError,
  OffsetMismatchError,
  StorageUnavailableError,
  type AppendedBytes,
  type Appender,
  type AppendOptions,
  type AppendTarget,
  type ObjectInfo,
  type StoredPart,
} from './object-storage.js';
import type { S3Multipart } from './s3-multipart.js';

const MIB = 1024 * 1024;
/** S3: every part but the last ≥ 5 MiB, at most 10,000 parts. */
const MIN_PART = 8 * MIB;
const MAX_PARTS = 10_000;

/** Parts of a session that may grow to `maxSize`: 8 MiB, or larger so 10,000 of them hold it. */
export function appendPartSize(maxSize: number): number {
  return Math.max(MIN_PART, Math.ceil(maxSize / MAX_PARTS / MIB) * MIB);
}

interface Held {
  multipartId: string;
  /** Parts S3 holds: 1..n, in order. */
  list: StoredPart[];
  parts: number;
  partBytes: number;
  tail: string;
  tailSize: number;
}

export class S3Appender implements Appender {
  constructor(
    private readonly multipart: S3Multipart,
    private readonly head: (key: string) => Promise<ObjectInfo | null>,
    /** Where tails live, a folder per multipart upload. */
    private readonly dir: string,
  ) {}

  begin(key: string, contentType: string): Promise<string> {
    return this.multipart.create(key, contentType);
  }

  async appendedSize(t: AppendTarget): Promise<number> {
    if (!t.multipartId) return 0;
    try {
      const held = await this.held(t.key, t.multipartId);
      return held.partBytes + held.tailSize;
    } catch (err) {
      // Finished: the object holds every byte.
      if (err instanceof MultipartNotFoundError) return (await this.head(t.key))?.size ?? 0;
      throw err;
    }
  }

  async append(t: AppendTarget, offset: number, body: Readable, opts: AppendOptions): Promise<AppendedBytes> {
    if (!t.multipartId) throw new Error('an S3 append needs its multipart upload (begin)');
    const held = await this.held(t.key, t.multipartId);
    if (held.partBytes + held.tailSize !== offset) throw new OffsetMismatchError(held.partBytes + held.tailSize);
    const meter = new DigestingMeter(opts.maxSize - offset, opts.digests ?? []);
    const partSize = appendPartSize(opts.maxSize);
    // Bytes that may yet be refused (a checksum) wait in a file of their own: a part, once stored, cannot be taken back.
    const staged = !opts.keepPartial;
    const stage = path.join(this.folder(t.multipartId), 'stage');
    const sink = staged ? null : await TailSink.open(this.multipart, t.key, held, partSize);
    try {
      await pipeline(body, meter, sink ?? createWriteStream(stage, { mode: 0o600, highWaterMark: MIB }));
    } catch (err) {
      // Too many bytes: back to the offset, or, once a part was stored (it cannot be taken back), to the parts alone.
      if (sink) await sink.close(err instanceof TooLargeError ? (sink.cut === 0 ? held.tailSize : 0) : null).catch(() => undefined);
      else await fs.rm(stage, { force: true });
      if (err instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
      if (err instanceof StorageUnavailableError || err instanceof MultipartNotFoundError) throw err;
      if (isDiskError(err)) throw new StorageUnavailableError(err);
      throw new ObjectAbortedError(err);
    }
    const appended = { size: offset + meter.bytes, etag: '', digests: meter.digests() };
    try {
      await opts.accept?.(appended);
    } catch (err) {
      if (sink) await sink.close(sink.cut === 0 ? held.tailSize : null).catch(() => undefined);
      else await fs.rm(stage, { force: true });
      throw err;
    }
    if (sink) await sink.close(null);
    else await this.unstage(t.key, held, stage, partSize);
    return appended;
  }

  async finish(t: AppendTarget): Promise<ObjectInfo> {
    if (!t.multipartId) throw new Error('an S3 append needs its multipart upload (begin)');
    let held: Held;
    try {
      held = await this.held(t.key, t.multipartId);
    } catch (err) {
      // An earlier finish completed it and stopped before the session recorded so.
      const info = err instanceof MultipartNotFoundError ? await this.head(t.key) : null;
      if (info) return info;
      throw err;
    }
    const parts = held.list.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    if (held.tailSize > 0) parts.push(await this.multipart.upload(t.key, t.multipartId, held.parts + 1, createReadStream(held.tail), held.tailSize));
    const info = await this.multipart.complete(t.key, t.multipartId, parts);
    await this.drop(t.multipartId);
    return info;
  }

  /** Removes a multipart upload's tail (called when it is completed or aborted). */
  async drop(multipartId: string): Promise<void> {
    await fs.rm(this.folder(multipartId), { recursive: true, force: true }).catch(() => undefined);
  }

  private folder(multipartId: string): string {
    return path.join(this.dir, createHash('sha256').update(multipartId).digest('hex').slice(0, 32));
  }

  /** What S3 holds and the tail that follows it; a stale tail (its part already stored) is removed. */
  private async held(key: string, multipartId: string): Promise<Held> {
    const parts: StoredPart[] = await this.multipart.list(key, multipartId);
    parts.forEach((p, i) => {
      if (p.partNumber !== i + 1) throw new StorageUnavailableError(new Error(`multipart upload ${multipartId} lacks part ${i + 1}`));
    });
    const folder = this.folder(multipartId);
    const tail = path.join(folder, `tail.${parts.length + 1}`);
    let tailSize = 0;
    try {
      await fs.mkdir(folder, { recursive: true, mode: 0o700 });
      // Stale: a tail whose part was stored meanwhile (a crash between the two, or another instance took over).
      for (const name of await fs.readdir(folder)) {
        if (name.startsWith('tail.') && name !== path.basename(tail)) await fs.rm(path.join(folder, name), { force: true });
      }
      tailSize = (await fs.stat(tail)).size;
    } catch (err) {
      if (!isMissing(err)) throw new StorageUnavailableError(err);
    }
    return { multipartId, list: parts, parts: parts.length, partBytes: parts.reduce((n, p) => n + p.size, 0), tail, tailSize };
  }

  /** Accepted staged bytes join the tail the same way streamed ones do. */
  private async unstage(key: string, held: Held, stage: string, partSize: number): Promise<void> {
    const sink = await TailSink.open(this.multipart, key, held, partSize);
    try {
      await pipeline(createReadStream(stage, { highWaterMark: MIB }), sink);
      await sink.close(null);
    } catch (err) {
      await sink.close(null).catch(() => undefined);
      throw err instanceof StorageUnavailableError ? err : new StorageUnavailableError(err);
    } finally {
      await fs.rm(stage, { force: true });
    }
  }
}

/** Takes bytes into the tail; each time it holds `partSize`, stores it as the next part. */
class TailSink extends Writable {
  /** Parts stored by this sink. */
  cut = 0;

  private constructor(
    private readonly multipart: S3Multipart,
    private readonly key: string,
    private readonly held: Held,
    private readonly partSize: number,
    private handle: fs.FileHandle,
    private size: number,
  ) {
    super({ highWaterMark: MIB });
  }

  static async open(multipart: S3Multipart, key: string, held: Held, partSize: number): Promise<TailSink> {
    try {
      return new TailSink(multipart, key, { ...held }, partSize, await fs.open(held.tail, 'a', 0o600), held.tailSize);
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
  }

  /** The write under way, if any. */
  private writing: Promise<void> = Promise.resolve();

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    const taking = this.take(chunks.map((c) => c.chunk));
    this.writing = taking.catch(() => undefined);
    taking.then(() => done(), done);
  }

  /**
   * As fs.WriteStream does: destroyed (a failed pipeline) while a write is under way (a piece
   * going into the tail, a part being stored), the sink closes once it ends, so whoever awaits
   * the pipeline sees `cut` and the tail final before cutting the tail back.
   */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    void this.writing.then(() => cb(err));
  }

  private async take(buffers: Buffer[]): Promise<void> {
    for (let buf of buffers) {
      while (buf.length > 0) {
        if (this.size >= this.partSize) await this.storePart();
        const piece = buf.subarray(0, this.partSize - this.size);
        await this.put(piece);
        buf = buf.subarray(piece.length);
      }
    }
    // A tail that just filled goes now, so a part-aligned request leaves an empty one.
    if (this.size >= this.partSize) await this.storePart();
  }

  private async put(piece: Buffer): Promise<void> {
    let at = 0;
    try {
      while (at < piece.length) at += (await this.handle.write(piece, at, piece.length - at)).bytesWritten;
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
    this.size += piece.length;
  }

  /** The tail, fsynced, becomes part n+1; then the next tail starts empty and the old one goes. */
  private async storePart(): Promise<void> {
    const h = this.held;
    try {
      await this.handle.sync();
      await this.handle.close();
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
    await this.multipart.upload(this.key, h.multipartId, h.parts + 1, createReadStream(h.tail), this.size);
    const old = h.tail;
    h.parts += 1;
    h.partBytes += this.size;
    h.tail = path.join(path.dirname(old), `tail.${h.parts + 1}`);
    this.cut += 1;
    this.size = 0;
    try {
      this.handle = await fs.open(h.tail, 'w', 0o600);
      await fs.rm(old, { force: true });
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
  }

  /** fsyncs the tail (cut back to `truncateTo` first, when given) and closes it. */
  async close(truncateTo: number | null): Promise<void> {
    try {
      if (truncateTo !== null) await this.handle.truncate(truncateTo);
      await this.handle.sync();
    } catch (err) {
      throw new StorageUnavailableError(err);
    } finally {
      await this.handle.close().catch(() => undefined);
    }
  }
}

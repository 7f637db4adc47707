/**
 * Appending on local disk (tus sessions): the session's object file grows in place, one
 * request at a time (the caller admits one writer per session). Each request's bytes are
 * fsynced before its offset is answered (the last request's, when it completes the upload,
 * by complete: `deferLastSync`); refused bytes are cut off again with a truncate,
 * so the file only ever holds bytes a client was told were taken (or, when kept, the
 * bytes of a request that broke off, which the client learns from the next offset).
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingMeter, TooLargeError } from '../lib/hashing.js';
import { etagOf, isDiskError, isMissing } from './disk.js';
import {
  ObjectAbortedError,
  ObjectTooLargeError,
  OffsetMismatchError,
  StorageUnavailableError,
  type AppendedBytes,
  type Appender,
  type AppendOptions,
  type AppendTarget,
  type ObjectInfo,
} from './object-storage.js';

export class LocalAppender implements Appender {
  /** `pathOf`: the driver's file for a key (it refuses keys outside its tree). */
  constructor(private readonly pathOf: (key: string) => string) {}

  /** A file grows in place: nothing to start. */
  async begin(): Promise<null> {
    return null;
  }

  async appendedSize({ key }: AppendTarget): Promise<number> {
    try {
      return (await fs.stat(this.pathOf(key))).size;
    } catch (err) {
      if (isMissing(err)) return 0;
      throw new StorageUnavailableError(err);
    }
  }

  async append(target: AppendTarget, offset: number, body: Readable, opts: AppendOptions): Promise<AppendedBytes> {
    const file = this.pathOf(target.key);
    const size = await this.appendedSize(target);
    if (size !== offset) throw new OffsetMismatchError(size);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
    const meter = new DigestingMeter(opts.maxSize - offset, opts.digests ?? []);
    try {
      await pipeline(body, meter, createWriteStream(file, { flags: 'a', mode: 0o600, highWaterMark: 1024 * 1024 }));
    } catch (err) {
      const clientGone = !(err instanceof TooLargeError) && !isDiskError(err);
      await settle(file, clientGone && opts.keepPartial ? null : offset);
      if (err instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
      if (isDiskError(err)) throw new StorageUnavailableError(err);
      throw new ObjectAbortedError(err);
    }
    const last = offset + meter.bytes === opts.maxSize;
    const appended = { size: offset + meter.bytes, etag: await settle(file, null, !(last && opts.deferLastSync)), digests: meter.digests() };
    if (opts.accept) {
      try {
        await opts.accept(appended);
      } catch (err) {
        await settle(file, offset);
        throw err;
      }
    }
    return appended;
  }

  /** The file is the object already (complete fsyncs it: the last append left that to it). */
  async finish(_target: AppendTarget, appended: AppendedBytes): Promise<ObjectInfo> {
    return { size: appended.size, etag: appended.etag };
  }
}

/** fsyncs the file (cut back to `truncateTo` first, when given; `sync` false: left to complete) and answers its ETag. */
async function settle(file: string, truncateTo: number | null, sync = true): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r+');
  } catch (err) {
    // Removed meanwhile (the session was terminated): nothing to keep.
    if (isMissing(err)) return '';
    throw new StorageUnavailableError(err);
  }
  try {
    if (truncateTo !== null) await handle.truncate(truncateTo);
    if (sync) await handle.sync();
    return etagOf(await handle.stat({ bigint: true }));
  } catch (err) {
    throw new StorageUnavailableError(err);
  } finally {
    await handle.close();
  }
}

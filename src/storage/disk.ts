/**
 * What both local-disk modules (local.ts, local-parts.ts) do to files: stream a body into
 * a new file with SHA-256 on the way, name a file's version (ETag), fsync a folder, rename
 * into a tree another write may be pruning, and tell the disk's errors from the client's.
 */
import { createWriteStream, type BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingMeter } from '../lib/hashing.js';

/**
 * Streams a body into a new file (0600, never an existing one) with SHA-256 on the way;
 * rejects with TooLargeError past `maxSize`, or with the error the body or the disk met.
 */
export async function bodyToFile(body: Readable, file: string, maxSize: number): Promise<{ size: number; sha256: string }> {
  const meter = new HashingMeter(maxSize);
  await pipeline(body, meter, createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 }));
  return { size: meter.bytes, sha256: meter.digest() };
}

/** Inode, size and mtime: a rename keeps all three, so a temp file's ETag is the published object's. */
export function etagOf(st: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `"${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}"`;
}

/** Errors of the disk, not of the incoming body. */
const DISK_ERRORS = new Set(['ENOSPC', 'EFBIG', 'EIO', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'ENOMEM']);

export function isDiskError(err: unknown): boolean {
  return DISK_ERRORS.has((err as { code?: string }).code ?? '');
}

export function isMissing(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** fsyncs a file (its bytes reach the disk) and answers its stats. */
export async function syncFile(file: string): Promise<BigIntStats> {
  const h = await fs.open(file, 'r');
  try {
    await h.sync();
    return await h.stat({ bigint: true });
  } finally {
    await h.close();
  }
}

/** A rename is durable only once its folder is fsynced. */
export async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Renames `temp` to `target`, creating its folder. Another write's failure prunes empty
 * folders: one may vanish between our mkdir and our rename (ENOENT); recreate it and try
 * again, the temp file is still ours.
 */
export async function renameInto(temp: string, target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    try {
      await fs.rename(temp, target);
      return;
    } catch (err) {
      if (!isMissing(err) || attempt >= 5) throw err;
    }
  }
}

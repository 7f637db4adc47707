import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HashingMeter } from '../lib/hashing.js';
import { randomToken } from '../lib/ids.js';
import type { ObjectStorage } from './object-storage.js';

/**
 * Runs `fn` with a path to the object on local disk: the object itself when the driver
 * keeps it there, else a temporary copy streamed down and removed afterwards. The copy
 * stops with an error past `maxBytes` (the size complete verified), so the local disk
 * never takes more than that whatever the store sends. With `hash`, a copy also yields the
 * SHA-256 of its bytes (one download for both); `sha256` is null when nothing was copied.
 */
export async function withLocalFile<T>(
  storage: ObjectStorage,
  key: string,
  fn: (file: string, sha256: string | null) => Promise<T>,
  maxBytes = Number.POSITIVE_INFINITY,
  opts: { hash?: boolean } = {},
): Promise<T> {
  if (storage.localPath) return fn(storage.localPath(key), null);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-'));
  const file = path.join(dir, randomToken(12));
  try {
    const meter = new HashingMeter(maxBytes, opts.hash === true);
    await pipeline(await storage.read(key), meter, createWriteStream(file));
    return await fn(file, opts.hash ? meter.digest() : null);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The first `length` bytes of an object (fewer if it is shorter). */
export async function readHead(storage: ObjectStorage, key: string, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of await storage.read(key, { start: 0, end: length - 1 })) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks, total);
}

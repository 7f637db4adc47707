import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomToken } from '../lib/ids.js';
import type { ObjectStorage } from './object-storage.js';

/**
 * Runs `fn` with a path to the object on local disk: the object itself when the driver
 * keeps it there, else a temporary copy streamed down and removed afterwards.
 */
export async function withLocalFile<T>(storage: ObjectStorage, key: string, fn: (file: string) => Promise<T>): Promise<T> {
  if (storage.localPath) return fn(storage.localPath(key));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-'));
  const file = path.join(dir, randomToken(12));
  try {
    await pipeline(await storage.read(key), createWriteStream(file));
    return await fn(file);
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

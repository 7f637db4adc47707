/** The one switch on storage driver. */
import path from 'node:path';
import { LocalDiskStorage } from './local.js';
import type { ObjectStorage } from './object-storage.js';

export interface StorageSetup {
  storage: ObjectStorage;
  /** Present when Intake itself must serve the signed URLs (local disk). */
  selfServed: LocalDiskStorage | null;
}

export async function createStorage(opts: { dataDir: string; publicUrl: string; signingSecret: string }): Promise<StorageSetup> {
  const local = new LocalDiskStorage(path.join(opts.dataDir, 'storage'), opts.publicUrl, opts.signingSecret);
  await local.init();
  return { storage: local, selfServed: local };
}

export * from './object-storage.js';

/**
 * The one switch on storage driver. The S3 driver (and the AWS SDK under it) is loaded
 * only when configured: on the embedded default it would be tens of MB of heap for nothing.
 */
import path from 'node:path';
import type { S3Config } from '../config/config.js';
import { LocalDiskStorage } from './local.js';
import type { ObjectStorage } from './object-storage.js';

export interface StorageSetup {
  storage: ObjectStorage;
  /** Present when Intake itself must serve the signed URLs (local disk). */
  selfServed: LocalDiskStorage | null;
}

export async function createStorage(opts: { dataDir: string; publicUrl: string; signingSecret: string; s3?: S3Config | null }): Promise<StorageSetup> {
  if (opts.s3) {
    const c = opts.s3;
    const credentials = c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : null;
    const { S3Storage } = await import('./s3.js');
    return { storage: new S3Storage({ ...c, credentials }), selfServed: null };
  }
  const local = new LocalDiskStorage(path.join(opts.dataDir, 'storage'), opts.publicUrl, opts.signingSecret);
  await local.init();
  return { storage: local, selfServed: local };
}

export * from './object-storage.js';

/**
 * The one switch on storage driver. The S3 driver (and the AWS SDK under it) is loaded
 * only when configured: on the embedded default it would be tens of MB of heap for nothing.
 */
import path from 'node:path';
import type { S3Config } from '../config/config.js';
import { LocalDiskStorage } from './local.js';
import { LocalAppender } from './local-append.js';
import type { Appender, ObjectStorage } from './object-storage.js';

export interface StorageSetup {
  storage: ObjectStorage;
  /** Present when Intake itself must serve the signed URLs (local disk). */
  selfServed: LocalDiskStorage | null;
  /** Growing objects for tus sessions. */
  appender: Appender | null;
}

export async function createStorage(opts: { dataDir: string; publicUrl: string; signingSecret: string; s3?: S3Config | null }): Promise<StorageSetup> {
  if (opts.s3) {
    const c = opts.s3;
    const credentials = c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : null;
    const { S3Storage } = await import('./s3.js');
    // tus sessions' tails (at most a part each) wait on local disk until they are a part.
    const storage = new S3Storage({ ...c, credentials }, undefined, { appendDir: path.join(opts.dataDir, 'tus-tails') });
    return { storage, selfServed: null, appender: storage.appender };
  }
  const local = new LocalDiskStorage(path.join(opts.dataDir, 'storage'), opts.publicUrl, opts.signingSecret);
  await local.init();
  return { storage: local, selfServed: local, appender: new LocalAppender((key) => local.localPath(key)) };
}

export * from './object-storage.js';

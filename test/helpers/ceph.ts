/**
 * A real S3 server for tests: Ceph RGW on loopback, started by scripts/ceph-rgw/start.sh
 * (idempotent; installs Ceph's Debian packages on first use, as root). A test that needs
 * it and cannot get it fails loudly. Point the suites at another S3-compatible store with
 * INTAKE_TEST_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _FORCE_PATH_STYLE.
 * Each suite gets its own bucket (random name) and removes it afterwards; the server is
 * shared and never stopped by a test.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  ListMultipartUploadsCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { S3Storage } from '../../src/storage/s3.js';
import type { S3Settings } from '../../src/storage/s3-client.js';
import { repoRoot } from './entry.js';

const root = repoRoot;
const CEPH_DIR = process.env.CEPH_DIR ?? '/tmp/ceph';

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

let started: Promise<S3Server> | undefined;

/** The S3 server tests use: INTAKE_TEST_S3_* when set, else the local Ceph (started if needed). */
export function s3Server(): Promise<S3Server> {
  started ??= (async () => {
    const env = process.env;
    if (env.INTAKE_TEST_S3_ENDPOINT) {
      return {
        endpoint: env.INTAKE_TEST_S3_ENDPOINT,
        region: env.INTAKE_TEST_S3_REGION ?? 'us-east-1',
        accessKeyId: env.INTAKE_TEST_S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.INTAKE_TEST_S3_SECRET_ACCESS_KEY ?? '',
        forcePathStyle: env.INTAKE_TEST_S3_FORCE_PATH_STYLE !== 'false',
      };
    }
    try {
      await promisify(execFile)('bash', [path.join(root, 'scripts/ceph-rgw/start.sh')], { env: { ...env, CEPH_DIR }, timeout: 600_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`Ceph RGW could not be started (scripts/ceph-rgw/start.sh, needs root the first time): ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    const vars = Object.fromEntries(
      (await fs.readFile(path.join(CEPH_DIR, 's3.env'), 'utf8'))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return {
      endpoint: vars.S3_ENDPOINT!,
      region: vars.S3_REGION!,
      accessKeyId: vars.S3_ACCESS_KEY!,
      secretAccessKey: vars.S3_SECRET_KEY!,
      forcePathStyle: vars.S3_FORCE_PATH_STYLE === 'true',
    };
  })();
  return started;
}

export function settingsFor(server: S3Server, bucket: string, over: Partial<S3Settings> = {}): S3Settings {
  return {
    bucket,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: server.forcePathStyle,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    publicEndpoint: null,
    // Ceph 16 accepts x-amz-checksum-sha256 without checking it; it honours If-None-Match.
    verifiesChecksums: false,
    conditionalWrites: true,
    ...over,
  };
}

export interface TestBucket {
  server: S3Server;
  bucket: string;
  storage: S3Storage;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  /** Unfinished multipart uploads and temporary objects. */
  leftovers(): Promise<string[]>;
  /** Empties and removes the bucket. */
  drop(): Promise<void>;
}

/** A fresh bucket of its own, with the CORS rule browsers need (docs/S3.md). */
export async function testBucket(prefix = 'intake-test'): Promise<TestBucket> {
  const server = await s3Server();
  const bucket = `${prefix}-${randomBytes(6).toString('hex')}`;
  const storage = new S3Storage(settingsFor(server, bucket));
  const s3 = storage.clients.api;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600 }],
      },
    }),
  );
  const keys = async () => {
    const out: string[] = [];
    for await (const o of storage.list()) out.push(o.key);
    return out.sort();
  };
  const uploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  return {
    server,
    bucket,
    storage,
    keys,
    async leftovers() {
      const temps = (await keys()).filter((k) => k.includes('.tmp-'));
      return [...temps, ...(await uploads()).map((u) => `multipart:${u.Key}`)];
    },
    async drop() {
      for (const u of await uploads()) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
      await storage.deleteMany(await keys());
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    },
  };
}

/** Intake's environment for a test bucket. */
export function s3Env(b: TestBucket, over: Record<string, string> = {}): Record<string, string> {
  return {
    INTAKE_STORAGE: 's3',
    INTAKE_S3_BUCKET: b.bucket,
    INTAKE_S3_REGION: b.server.region,
    INTAKE_S3_ENDPOINT: b.server.endpoint,
    INTAKE_S3_FORCE_PATH_STYLE: String(b.server.forcePathStyle),
    INTAKE_S3_ACCESS_KEY_ID: b.server.accessKeyId,
    INTAKE_S3_SECRET_ACCESS_KEY: b.server.secretAccessKey,
    ...over,
  };
}

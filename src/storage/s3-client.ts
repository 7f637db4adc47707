/**
 * Building S3 clients and translating S3 failures, shared by every S3 verb (the simple
 * object driver in s3.ts, and multipart uploads later): one place knows the SDK settings
 * S3-compatible stores need.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ObjectNotFoundError, StorageUnavailableError } from './object-storage.js';

export interface S3Settings {
  bucket: string;
  region: string;
  /** Null for AWS itself. */
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Null: the SDK's default credential chain. */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** The endpoint signed into URLs browsers use (defaults to `endpoint`). */
  publicEndpoint: string | null;
  /** The store verifies `x-amz-checksum-sha256` on PUT (AWS; Ceph 16 accepts it unchecked). */
  verifiesChecksums: boolean;
  /** The store honours `If-None-Match: *` on PUT (AWS, R2, Ceph, MinIO). */
  conditionalWrites: boolean;
}

export interface S3Clients {
  /** Intake's own requests (HEAD, GET, copy, delete, list). */
  api: S3Client;
  /** Signs URLs for browsers: same credentials, the public endpoint. */
  presign: S3Client;
}

/** Connect quickly or call the store down; a stalled socket is an outage, not a hang. */
const CONNECT_TIMEOUT_MS = 3_000;
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

function client(s: S3Settings, endpoint: string | null): S3Client {
  const agentOpts = { keepAlive: true, maxSockets: 64 };
  return new S3Client({
    region: s.region,
    endpoint: endpoint ?? undefined,
    forcePathStyle: s.forcePathStyle,
    credentials: s.credentials ?? undefined,
    // Ceph, MinIO and R2 refuse or ignore the SDK's default streaming CRC checksums
    // (Ceph 16 answers 411); send and check them only where S3 requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: SOCKET_IDLE_TIMEOUT_MS,
      httpAgent: new Agent(agentOpts),
      httpsAgent: new HttpsAgent(agentOpts),
    },
  });
}

export function createS3Clients(s: S3Settings): S3Clients {
  const api = client(s, s.endpoint);
  const presign = s.publicEndpoint && s.publicEndpoint !== s.endpoint ? client(s, s.publicEndpoint) : api;
  return { api, presign };
}

/** HTTP status of an S3 answer, when there was one. */
export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return statusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Any other failure of a request Intake itself makes is the store's (unreachable, 5xx,
 * refused credentials, a misconfigured bucket), never the client's: retry later.
 */
export function storageError(err: unknown, key?: string): Error {
  if (err instanceof ObjectNotFoundError || err instanceof StorageUnavailableError) return err;
  if (key !== undefined && isNotFound(err)) return new ObjectNotFoundError(key);
  return new StorageUnavailableError(err);
}

/** ETags in one form, quoted as HTTP has them (Ceph leaves the quotes off copy results). */
export function quoted(etag: string | undefined): string {
  const bare = (etag ?? '').replace(/^W\//, '').replace(/"/g, '');
  return bare ? `"${bare}"` : '';
}

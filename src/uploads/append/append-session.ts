/**
 * Sessions whose bytes are appended request by request (tus, src/http/tus/): created with
 * every check a JSON session gets (type, size, quota, alias, conditions) before a byte is
 * taken; each request adds bytes at the offset the session holds, fsynced before the new
 * offset is answered; when the offset reaches the length, Intake completes the upload
 * itself (verification, asset, processing, webhooks), as POST …/complete would.
 */
import type { Readable } from 'node:stream';
import type { Tenant } from '../../auth/principal.js';
import type { AppContext } from '../../core/context.js';
import type { TransferRow, UploadRow } from '../../db/schema.js';
import { IntakeError, conflict, invalid, notFound } from '../../lib/errors.js';
import { MultipartNotFoundError, OffsetMismatchError, type AppendedBytes, type Appender, type AppendTarget, type ObjectInfo } from '../../storage/object-storage.js';
import { completeUpload, type Completed } from '../complete-upload.js';
import { createUpload, type CreateUploadInput, type CreatedUpload } from '../create-upload.js';
import { expireIfDue } from '../expire-uploads.js';
import { writeFailure } from '../receive-bytes.js';
import { OPEN } from '../status.js';

export interface AppendSession {
  upload: UploadRow;
  tus: TransferRow | null;
}

/** A new appended session; `metadata` is kept to be echoed (tus HEAD). */
export async function createAppendSession(
  deps: AppContext,
  tenant: Tenant,
  input: CreateUploadInput,
  opts: { metadata: string | null; deferLength: boolean; concat?: string },
): Promise<CreatedUpload> {
  const created = await createUpload(deps, tenant, { ...input, protocol: 'tus', defer_length: opts.deferLength || undefined });
  if ('skipped' in created) throw conflict(`An asset already holds the alias "${created.skipped.alias}".`, { existing_asset_id: created.skipped.existing_asset_id });
  if (opts.metadata !== null || opts.deferLength || opts.concat) {
    await deps.store.transfers.insert({
      upload_id: created.upload.id,
      tus_metadata: opts.metadata,
      length_deferred: opts.deferLength ? 1 : 0,
      source_url: null,
      concat: opts.concat ?? null,
    });
  }
  return created.upload;
}

/** The session `id` as its caller may see it: a tenant's own, or the one a token names. */
export async function findAppendSession(deps: AppContext, tenant: Tenant | null, id: string): Promise<AppendSession> {
  const found = tenant ? await deps.store.uploads.find(tenant.namespaceId, id) : await deps.store.uploads.findById(id);
  if (!found || found.method !== 'tus') throw notFound('Upload');
  const upload = await expireIfDue(deps, found);
  return { upload, tus: (await deps.store.transfers.find(id)) ?? null };
}

/** Gone for good: expired, canceled (terminated) or failed sessions hold no bytes. */
export function isGone(upload: UploadRow): boolean {
  return upload.status === 'expired' || upload.status === 'canceled' || upload.status === 'failed';
}

/** Bytes the session holds: what arrived while open, all of them once complete. */
export async function offsetOf(appender: Appender, s: AppendSession): Promise<number> {
  if (OPEN.includes(s.upload.status)) return appender.appendedSize(targetOf(s.upload));
  return isGone(s.upload) ? 0 : s.upload.file_size;
}

export function targetOf(upload: UploadRow): AppendTarget {
  return { key: upload.storage_key, multipartId: upload.multipart_id };
}

/**
 * The growing object of a session, started before its first byte (S3: a multipart upload
 * the row names, so termination, expiry and reconciliation abort it like a resumable one's).
 */
async function begun(deps: AppContext, appender: Appender, upload: UploadRow): Promise<AppendTarget> {
  if (upload.multipart_id) return targetOf(upload);
  const multipartId = await appender.begin(upload.storage_key, upload.content_type);
  if (multipartId) await deps.store.uploads.update(upload.id, { multipart_id: multipartId, updated_at: deps.clock.now().toISOString() });
  return { key: upload.storage_key, multipartId };
}

export function lengthDeferred(s: AppendSession): boolean {
  return s.tus?.length_deferred === 1;
}

/** tus concatenation: a partial upload's bytes wait for a final upload; it is never completed on its own. */
export function isPartial(s: AppendSession): boolean {
  return s.tus?.concat === 'partial';
}

export function isFinal(s: AppendSession): boolean {
  return s.tus?.concat?.startsWith('final;') === true;
}

export function requireOpen(upload: UploadRow): void {
  if (upload.status === 'expired') throw new IntakeError('expired', 'The upload session has expired.', { status: upload.status });
  if (isGone(upload)) throw new IntakeError('expired', `The upload was ${upload.status}; its bytes are gone.`, { status: upload.status });
  if (!OPEN.includes(upload.status)) throw conflict(`The upload is ${upload.status}; its bytes can no longer change.`, { status: upload.status });
}

/**
 * creation-defer-length: the length, declared once. The session held its kind's limit
 * until now; the reservation shrinks to the length in the same transaction.
 */
export async function declareLength(deps: AppContext, s: AppendSession, length: number, offset: number): Promise<AppendSession> {
  requireOpen(s.upload);
  if (!lengthDeferred(s)) {
    if (length !== s.upload.file_size) throw invalid(`Upload-Length is ${s.upload.file_size} and cannot change.`, 'Upload-Length');
    return s;
  }
  if (length > s.upload.file_size) throw new IntakeError('file_too_large', `The file may be at most ${s.upload.file_size} bytes.`, { max_size: s.upload.file_size });
  if (length < offset) throw invalid(`Upload-Length ${length} is below the ${offset} bytes already received.`, 'Upload-Length');
  const upload = s.upload;
  await deps.store.transaction(async (r) => {
    if (!(await r.transfers.lengthDeclared(upload.id))) throw conflict('The length was declared by another request.');
    const reserved = await r.uploads.takeReservation(upload.id);
    await r.uploads.update(upload.id, { file_size: length, reserved_bytes: length, updated_at: deps.clock.now().toISOString() });
    await r.namespaces.adjust(upload.namespace_id, { reserved: length - reserved });
  });
  return { upload: { ...upload, file_size: length, reserved_bytes: length }, tus: s.tus && { ...s.tus, length_deferred: 0 } };
}

const closedMeanwhile = () => conflict('The upload was completed or closed while the bytes were arriving.', { status: 'closed' });

export interface ChunkChecksum {
  /** node:crypto name: sha256, sha1 or md5. */
  algorithm: string;
  expected: Buffer;
}

export interface Appended {
  offset: number;
  /** Set when this request brought the last byte: the completed upload and its asset. */
  completed: Completed | null;
}

/**
 * Appends one request's bytes at `offset`. With a checksum, bytes that do not match are
 * refused whole (nothing kept); without, the bytes of a request that broke off are kept
 * and the next offset says so. The last byte completes the upload.
 */
export async function appendBytes(deps: AppContext, appender: Appender, s: AppendSession, offset: number, body: Readable, checksum?: ChunkChecksum): Promise<Appended> {
  const upload = s.upload;
  requireOpen(upload);
  const whole = offset === 0 && !lengthDeferred(s);
  const digests = [...new Set([...(whole ? ['sha256'] : []), ...(checksum ? [checksum.algorithm] : [])])];
  const target = await begun(deps, appender, upload);
  let appended: AppendedBytes;
  try {
    appended = await appender.append(target, offset, body, {
      maxSize: upload.file_size,
      keepPartial: !checksum,
      // The last byte completes the upload, and complete makes the bytes durable (verify-object.ts).
      deferLastSync: !lengthDeferred(s) && !isPartial(s),
      digests,
      accept: async (a) => {
        if (checksum && !a.digests[checksum.algorithm]!.equals(checksum.expected)) {
          throw new IntakeError('verification_failed', `The ${checksum.algorithm} checksum of the request's bytes does not match Upload-Checksum; nothing was kept.`, { reason: 'chunk_checksum_mismatch' });
        }
        const open = await deps.store.uploads.transition(upload.id, OPEN, { status: 'uploading', updated_at: deps.clock.now().toISOString() });
        if (!open) throw closedMeanwhile();
      },
    });
  } catch (err) {
    if (err instanceof OffsetMismatchError) throw conflict(`Upload-Offset ${offset} does not match the ${err.actual} bytes received.`, { reason: 'offset_mismatch', offset: err.actual });
    if (err instanceof MultipartNotFoundError) throw closedMeanwhile();
    throw writeFailure(deps, err, () => new IntakeError('file_too_large', `The upload is ${upload.file_size} bytes; this request carries more.`, { max_size: upload.file_size }));
  }
  if (appended.size < upload.file_size || lengthDeferred(s) || isPartial(s)) return { offset: appended.size, completed: null };
  let object: ObjectInfo;
  try {
    object = await appender.finish(target, appended);
  } catch (err) {
    throw err instanceof MultipartNotFoundError ? closedMeanwhile() : writeFailure(deps, err, () => closedMeanwhile());
  }
  // Hashed on the way when this one request carried every byte; else verification reads the file once.
  await deps.store.uploads.update(upload.id, {
    multipart_id: null,
    received_size: appended.size,
    received_etag: object.etag,
    received_sha256: whole ? appended.digests.sha256!.toString('hex') : null,
  });
  const completed = await completeUpload(deps, { namespaceId: upload.namespace_id }, upload.id);
  return { offset: appended.size, completed };
}

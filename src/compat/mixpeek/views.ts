/**
 * Mixpeek's shapes (docs/COMPAT.md, "Mixpeek"): an upload under the document's field
 * names with its upper-case status, an object (an Intake asset: `med_` id) with its
 * blobs by property, a task, and the error body.
 */
import type { FastifyRequest } from 'fastify';
import { blobTypeOf } from '../../buckets/bucket-fields.js';
import type { AssetRow, SourceRow, UploadRow, UploadStatus } from '../../db/schema.js';
import type { IntakeError } from '../../lib/errors.js';
import type { TaskStatus } from '../../uploads/tasks.js';

const STATUS: Record<UploadStatus, string> = {
  pending: 'PENDING',
  uploading: 'IN_PROGRESS',
  processing: 'PROCESSING',
  storing: 'PROCESSING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  // The document: an upload not completed before its URL expires is marked FAILED.
  expired: 'FAILED',
  canceled: 'CANCELED',
};

/** Verified: done, or its object's renditions being made (its asset is no longer pending). */
function isVerified(row: UploadRow, object: AssetRow | null | undefined): boolean {
  if (row.status === 'completed') return true;
  return (row.status === 'processing' || row.status === 'storing') && !!object && object.status !== 'pending';
}

/** A confirmed upload is COMPLETED even while its object's renditions are still being made. */
export function uploadStatus(row: UploadRow, object?: AssetRow | null): string {
  return isVerified(row, object) ? 'COMPLETED' : STATUS[row.status];
}

export const taskStatus = (s: TaskStatus) => s.toUpperCase();

const json = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

export interface UploadExtras {
  presigned_url?: string | null;
  task_id?: string | null;
  message?: string | null;
  object?: AssetRow | null;
  /** Created without file_size and no bytes recorded yet: the size is not known (the row holds the session's cap). */
  sizeUnknown?: boolean;
}

export function mixpeekUpload(row: UploadRow, extra: UploadExtras = {}) {
  const verified = isVerified(row, extra.object);
  const object = extra.object && extra.object.status !== 'pending' ? extra.object : null;
  return {
    upload_id: row.id,
    bucket_id: row.bucket_id,
    filename: row.filename,
    content_type: row.content_type,
    presigned_url_expiration: Math.round((Date.parse(row.expires_at) - Date.parse(row.created_at)) / 1000),
    s3_key: row.storage_key,
    status: uploadStatus(row, extra.object),
    create_object_on_confirm: row.create_asset === 1,
    created_at: row.created_at,
    expires_at: row.expires_at,
    file_size: extra.sizeUnknown ? null : row.file_size,
    presigned_url: extra.presigned_url ?? null,
    metadata: json<Record<string, unknown>>(row.upload_metadata, {}),
    object_metadata: extra.object ? json<Record<string, unknown>>(extra.object.metadata, {}) : {},
    blob_property: row.bucket_property,
    blob_type: blobTypeOf(row.content_type).toUpperCase(),
    file_hash: verified ? row.received_sha256 : row.file_hash,
    skip_duplicates: row.skip_duplicates === 1,
    is_duplicate: row.is_duplicate === 1,
    duplicate_of_upload_id: row.duplicate_of,
    skipped_unique_key: false,
    existing_object_id: null,
    message: extra.message ?? (row.is_duplicate === 1 ? 'File already exists with the same content hash. No upload needed - returning existing upload.' : null),
    completed_at: row.completed_at ?? (verified ? row.updated_at : null),
    verified_at: verified ? (row.completed_at ?? row.updated_at) : null,
    etag: row.received_etag,
    object_id: object?.id ?? null,
    task_id: extra.task_id ?? null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
  };
}

/** An object: the asset, its files by property (the original under its upload's property, each source under its label). */
export function mixpeekObject(asset: AssetRow, originalProperty: string | null, sources: SourceRow[], uploadIds: Record<string, string>) {
  const blobs = [
    { property: originalProperty ?? 'original', type: blobTypeOf(asset.mimetype ?? '').toUpperCase(), content_type: asset.mimetype, size_bytes: asset.filesize, upload_id: asset.upload_id },
    ...sources
      .filter((s) => s.blob_id !== null)
      .map((s) => ({ property: s.label, type: blobTypeOf(s.mimetype).toUpperCase(), content_type: s.mimetype, size_bytes: s.filesize, upload_id: uploadIds[s.label] ?? null })),
  ];
  return {
    object_id: asset.id,
    bucket_id: asset.bucket_id,
    blobs,
    metadata: json<Record<string, unknown>>(asset.metadata, {}),
    status: asset.status === 'ready' ? 'COMPLETED' : asset.status === 'failed' ? 'FAILED' : asset.status === 'pending' ? 'PENDING' : 'PROCESSING',
    created_at: asset.created_at,
    updated_at: asset.updated_at,
  };
}

/** The error body: `success: false`, the status, and the error with Intake's code as its type. */
export function mixpeekError(err: IntakeError, status: number, request: FastifyRequest) {
  return { success: false, status, error: { message: err.message, type: err.code, details: { ...err.details, request_id: request.id } } };
}

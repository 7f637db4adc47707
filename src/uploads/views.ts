/** How an upload session looks to clients (the contract's field names). */
import { Type, type Static } from '@sinclair/typebox';
import { NO_ASSET, type UploadRow } from '../db/schema.js';
import { Nullable } from '../lib/nullable.js';
import { STATUS_CODES } from './status.js';

/** The one definition of an upload as clients see it: the response schema, and by Static<> its type. */
export const UploadView = Type.Object({
  id: Type.String(),
  upload_id: Type.String(),
  uuid: Nullable(Type.String({ description: 'The same session as a UUID; GET and DELETE /v1/uploads/{id} take it too.' })),
  asset_id: Type.Union([Type.String(), Type.Null()], { description: 'Null for a create_asset: false upload until POST /v1/assets attaches it.' }),
  filename: Type.String(),
  content_type: Type.String(),
  file_size: Type.Integer(),
  kind: Type.String(),
  status: Type.String(),
  status_code: Type.Integer(),
  progress: Type.Integer(),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
  resumable: Type.Boolean(),
  is_duplicate: Type.Boolean(),
  duplicate_of: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
  completed_at: Nullable(Type.String()),
  expires_at: Type.String(),
  bucket_id: Nullable(Type.String({ description: 'The bucket the asset goes into (bucket_id at create), or null.' })),
  bucket_property: Nullable(Type.String({ description: "The bucket schema's property the file fills." })),
  upload_metadata: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'Tracking metadata of the session itself (upload_metadata at create).' })),
});
export type UploadView = Static<typeof UploadView>;

export function uploadView(row: UploadRow): UploadView {
  return {
    id: row.id,
    upload_id: row.id,
    uuid: row.uuid,
    asset_id: row.asset_id === NO_ASSET ? null : row.asset_id,
    filename: row.filename,
    content_type: row.content_type,
    file_size: row.file_size,
    kind: row.kind,
    status: row.status,
    status_code: STATUS_CODES[row.status],
    progress: row.progress,
    error: row.error_code
      ? { code: row.error_code, message: row.error_message ?? '', ...(row.error_details ? { details: JSON.parse(row.error_details) as unknown } : {}) }
      : null,
    resumable: row.resumable === 1,
    is_duplicate: row.is_duplicate === 1,
    duplicate_of: row.duplicate_of,
    created_at: row.created_at,
    updated_at: row.updated_at,
    completed_at: row.completed_at,
    expires_at: row.expires_at,
    bucket_id: row.bucket_id,
    bucket_property: row.bucket_property,
    upload_metadata: row.upload_metadata ? (JSON.parse(row.upload_metadata) as Record<string, unknown>) : null,
  };
}

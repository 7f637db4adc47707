/** How an upload session looks to clients (the contract's field names). */
import { NO_ASSET, type UploadRow } from '../db/schema.js';
import { STATUS_CODES } from './status.js';

export interface UploadView {
  id: string;
  upload_id: string;
  asset_id: string | null;
  filename: string;
  content_type: string;
  file_size: number;
  kind: string;
  status: string;
  status_code: number;
  progress: number;
  error: { code: string; message: string; details?: unknown } | null;
  resumable: boolean;
  is_duplicate: boolean;
  duplicate_of: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  expires_at: string;
}

export function uploadView(row: UploadRow): UploadView {
  return {
    id: row.id,
    upload_id: row.id,
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
  };
}

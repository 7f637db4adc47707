/**
 * A resumable session is born with its multipart upload in storage (S3's
 * CreateMultipartUpload; a parts folder on local disk), so part URLs can be signed at once.
 * The multipart upload is started just before the session rows are written and aborted if
 * writing them fails (quota, alias), so a refused session leaves nothing behind.
 */
import type { UploadRow } from '../../db/schema.js';
import type { AppContext } from '../../core/context.js';
import { planParts } from './plan.js';
import { firstPartUrls, type PartsView } from './sign-parts.js';

export async function startResumable(deps: AppContext, row: UploadRow, partSize: number | undefined, insert: (row: UploadRow) => Promise<void>): Promise<UploadRow> {
  const plan = planParts(row.file_size, partSize);
  const multipartId = await deps.storage.createMultipart(row.storage_key, { contentType: row.content_type });
  const session: UploadRow = { ...row, method: 'multipart', resumable: 1, part_size: plan.partSize, multipart_id: multipartId };
  try {
    await insert(session);
  } catch (err) {
    await deps.storage.abortMultipart(row.storage_key, multipartId).catch((e: unknown) => deps.log.warn({ err: e }, 'could not abort a refused session’s multipart upload'));
    throw err;
  }
  return session;
}

/** What the create response says about sending a resumable session's bytes. */
export async function resumableFields(deps: AppContext, row: UploadRow): Promise<{ upload_method: { method: 'PUT'; headers: Record<string, string> }; parts: PartsView; next_step: string }> {
  const parts = await firstPartUrls(deps, row);
  const more = parts.count > parts.urls.length ? ` (URLs for parts after ${parts.urls.length}: POST /v1/uploads/${row.id}/parts)` : '';
  return {
    upload_method: { method: 'PUT', headers: {} },
    parts,
    next_step: `PUT each of the ${parts.count} parts to its URL in parts.urls, in any order${more}, then POST /v1/uploads/${row.id}/complete.`,
  };
}

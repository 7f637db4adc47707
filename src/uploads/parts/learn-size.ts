/**
 * Complete of a resumable session that declared no size (create-upload.ts, single_url):
 * the client lists its parts, and their total becomes the session's size, within its cap,
 * before the parts are joined. Without a list there is no size to hold the parts to: 400.
 */
import type { AppContext } from '../../core/context.js';
import type { UploadRow } from '../../db/schema.js';
import { IntakeError, conflict, invalid } from '../../lib/errors.js';
import { MultipartNotFoundError } from '../../storage/object-storage.js';
import { openSessionFor } from '../receive-bytes.js';
import { OPEN } from '../status.js';
import { sizeDeferred } from '../streamed-quota.js';
import { pickListed, type ListedPart } from './complete-parts.js';

/** The session as complete should see it: with its size learned from `listed` when it declared none. */
export async function learnListedSize(deps: AppContext, upload: UploadRow, listed: ListedPart[] | undefined): Promise<UploadRow> {
  if (!upload.multipart_id || !OPEN.includes(upload.status) || !(await sizeDeferred(deps, upload))) return upload;
  if (!listed?.length) throw invalid('This upload declared no size: list its parts ({part_number, etag}) to complete it.', 'parts');
  return learnTotal(deps, upload, listed);
}

/** A session that declared no size takes the listed parts' total as its size, within its cap. */
async function learnTotal(deps: AppContext, upload: UploadRow, listed: ListedPart[]): Promise<UploadRow> {
  let held;
  try {
    held = await deps.storage.listParts(upload.storage_key, upload.multipart_id!);
  } catch (err) {
    if (err instanceof MultipartNotFoundError) throw conflict('The upload was closed.', { status: 'closed' });
    throw err;
  }
  // Every listed part must be held with its ETag before the size is fixed (pickListed says which is not).
  const total = pickListed(held, listed).reduce((sum, p) => sum + p.size, 0);
  if (total > upload.file_size) throw new IntakeError('file_too_large', `The parts hold ${total} bytes; this upload takes at most ${upload.file_size}.`, { max_size: upload.file_size, file_size: total });
  const fixed = await deps.store.transaction(async (r) => {
    const open = await r.uploads.transition(upload.id, OPEN, { file_size: total, updated_at: deps.clock.now().toISOString() });
    if (open) await r.transfers.lengthDeclared(upload.id);
    return open;
  });
  if (!fixed) await openSessionFor(deps, upload.id, upload.storage_key);
  return { ...upload, file_size: total };
}

/**
 * A part arriving at a URL Intake signed (local disk). Like a simple PUT (receive-bytes.ts),
 * it is streamed to a temp file and renamed into place inside a transaction that first
 * re-checks, by conditional update, that the session is open and still owns its multipart
 * upload; that same update marks the session `uploading`. Parts of one session may arrive
 * in parallel: each has its own file.
 */
import type { Readable } from 'node:stream';
import type { UploadRow } from '../../db/schema.js';
import { IntakeError, conflict } from '../../lib/errors.js';
import { MultipartNotFoundError, type PartWriter } from '../../storage/object-storage.js';
import type { AppContext } from '../../core/context.js';
import { writeFailure } from '../receive-bytes.js';
import { partRange } from './plan.js';
import { notResumable, planOf } from './sign-parts.js';

export async function receivePart(deps: AppContext, writer: PartWriter, upload: UploadRow, partNumber: number, body: Readable): Promise<{ etag: string; size: number }> {
  if (upload.resumable !== 1) throw notResumable(upload);
  const multipartId = upload.multipart_id;
  if (!multipartId) throw conflict('The parts of this upload were already assembled; its bytes can no longer change.', { status: upload.status });
  const { size: maxSize } = partRange(upload.file_size, planOf(upload), partNumber);
  try {
    const written = await writer.writePart(upload.storage_key, multipartId, partNumber, body, {
      maxSize,
      contentType: upload.content_type,
      around: async (_w, publish) => {
        await deps.store.transaction(async (r) => {
          if (!(await r.uploads.partReceived(upload.id, multipartId, deps.clock.now().toISOString()))) {
            throw conflict('The upload was completed or closed while the part was arriving.', { status: 'closed' });
          }
          // Last, so nothing after it can fail and leave the rename without its row.
          await publish();
        });
      },
    });
    return { etag: written.etag, size: written.size };
  } catch (err) {
    // The multipart upload went away mid-part: the session was canceled, expired or completed.
    if (err instanceof MultipartNotFoundError) throw conflict('The upload was closed while the part was arriving.', { status: 'closed' });
    throw writeFailure(deps, err, () =>
      new IntakeError('file_too_large', `Part ${partNumber} may be at most ${maxSize} bytes.`, { max_size: maxSize, part_number: partNumber }),
    );
  }
}

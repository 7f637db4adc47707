/**
 * Bytes arriving at a URL Intake signed (local-disk mode). They are streamed to a temp
 * file with SHA-256 on the way and renamed into place inside a transaction that first
 * re-checks, by conditional update, that the session is still open. Complete claims the
 * session with its own conditional update, so once it has begun no PUT can swap the bytes.
 */
import type { Readable } from 'node:stream';
import type { UploadRow } from '../db/schema.js';
import { IntakeError, conflict, notFound } from '../lib/errors.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { ObjectAbortedError, ObjectTooLargeError, StorageUnavailableError } from '../storage/object-storage.js';
import type { AppContext } from '../core/context.js';
import { expireIfDue } from './expire-uploads.js';
import { OPEN } from './status.js';

function storageDown(deps: AppContext, err: StorageUnavailableError): IntakeError {
  deps.log.error({ err }, 'storage could not take an upload');
  return new IntakeError('unavailable', 'Storage could not take the bytes right now; nothing was kept. Retry shortly.');
}

export function incompleteBody(): IntakeError {
  return new IntakeError('invalid_request', 'The body ended before all of it arrived.', { reason: 'incomplete_body' });
}

export async function openSessionFor(deps: AppContext, uploadId: string, key: string): Promise<UploadRow> {
  let upload = await deps.store.uploads.findById(uploadId);
  if (!upload || upload.storage_key !== key) throw notFound('Upload session');
  upload = await expireIfDue(deps, upload);
  if (upload.status === 'expired') throw new IntakeError('expired', 'The upload session has expired.', { status: upload.status });
  if (!OPEN.includes(upload.status)) throw conflict(`The upload is ${upload.status}; its bytes can no longer change.`, { status: upload.status });
  return upload;
}

/**
 * `learn`: the session declared no size (create-upload.ts): its size becomes the bytes',
 * and the quota they took while streaming (`learn.held()`, form-quota.ts) its reservation,
 * in the transaction that records them.
 */
export async function receiveBytes(deps: AppContext, storage: ObjectStorage, upload: UploadRow, body: Readable, learn?: { maxSize: number; held(): number }): Promise<{ etag: string; size: number }> {
  try {
    const written = await storage.write(upload.storage_key, body, {
      maxSize: learn?.maxSize ?? upload.file_size,
      contentType: upload.content_type,
      // Made durable by complete, before it verifies them (verify-object.ts): a client's
      // PUT is answered as soon as its bytes are received and hashed.
      deferSync: true,
      around: async (w, publish) => {
        await deps.store.transaction(async (r) => {
          const stillOpen = await r.uploads.transition(upload.id, OPEN, {
            received_size: w.size,
            received_sha256: w.sha256,
            received_etag: w.etag,
            updated_at: deps.clock.now().toISOString(),
            ...(learn && { file_size: w.size, reserved_bytes: upload.reserved_bytes + learn.held() }),
          });
          if (!stillOpen) throw conflict('The upload was completed or closed while the bytes were arriving.', { status: 'closed' });
          if (learn) await r.transfers.lengthDeclared(upload.id);
          // Last, so nothing after it can fail and leave the rename without its row.
          await publish();
        });
      },
    });
    return { etag: written.etag, size: written.size };
  } catch (err) {
    throw writeFailure(deps, err, () =>
      new IntakeError('file_too_large', `The body is larger than the ${learn?.maxSize ?? upload.file_size} bytes this URL was signed for.`, { max_size: learn?.maxSize ?? upload.file_size }),
    );
  }
}

/** A failed storage write as the client should see it: too large, cut off, or a storage outage. */
export function writeFailure(deps: AppContext, err: unknown, tooLarge: () => IntakeError): unknown {
  if (err instanceof ObjectTooLargeError) return tooLarge();
  if (err instanceof ObjectAbortedError) return incompleteBody();
  if (err instanceof StorageUnavailableError) return storageDown(deps, err);
  return err;
}

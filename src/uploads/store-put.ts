/**
 * The whole file PUT to a `store_put` session's URL (`…/store/single?key=…`,
 * storage/store-urls.ts), on every storage driver: Intake streams the body into storage
 * with SHA-256 on the way, as a signed PUT's bytes. The token is the credential (session,
 * method, size cap, expiry); one file per session (a second PUT is 409).
 *
 * A session that declared no size learns it from the bytes: quota is taken while they
 * stream and their kind's limit bounds them (streamed-quota.ts). A body refused for its
 * size or for the quota fails the session, so complete answers that refusal and nothing
 * stays stored or held; a body cut off mid-way leaves the session open to PUT again.
 */
import type { Readable } from 'node:stream';
import type { AppContext } from '../core/context.js';
import type { UploadRow } from '../db/schema.js';
import { IntakeError, conflict, forbidden } from '../lib/errors.js';
import { closeSession } from './close-session.js';
import type { FormBodies } from './form-quota.js';
import { openSessionFor, receiveBytes } from './receive-bytes.js';
import { OPEN } from './status.js';
import { storeSession, type Exclusive } from './store-form.js';
import { receiveUnsized, sizeDeferred } from './streamed-quota.js';

const tooLarge = (max: number) => new IntakeError('file_too_large', `The body is larger than the ${max} bytes this upload URL takes.`, { max_size: max });

/** `length`: the request's Content-Length, when sent (a body over the cap is then refused before it is read). */
export async function receiveStorePut(
  deps: AppContext,
  key: string | undefined,
  length: number | undefined,
  body: Readable,
  exclusive: Exclusive,
  bodies: FormBodies,
): Promise<{ upload: UploadRow; etag: string; size: number }> {
  // The token and the session are checked before a byte of the body is read.
  const upload = await storeSession(deps, key, 'PUT');
  // A single_url session's key takes parts at its /store/resumable URL, never a whole file.
  if (upload.resumable === 1) throw forbidden('This upload URL takes parts: PUT each with X-Upload-Index to the session\'s upload_url.', { reason: 'bad_signature' });
  return exclusive(upload.id, async () => {
    const current = await openSessionFor(deps, upload.id, upload.storage_key);
    if (current.received_size !== null) throw conflict('This upload URL has already received its file.', { status: current.status });
    const unsized = await sizeDeferred(deps, current);
    try {
      if (length !== undefined && length > current.file_size) throw tooLarge(current.file_size);
      if (!unsized) return { upload: current, ...(await receiveBytes(deps, deps.storage, current, body)) };
      return await receiveUnsized(deps, current, body, bodies);
    } catch (err) {
      // Unsized and refused for its size or the quota: the session fails with that error, so complete answers it (not "no bytes yet").
      if (unsized && err instanceof IntakeError && (err.code === 'file_too_large' || err.code === 'quota_exceeded')) await closeSession(deps, current, 'failed', OPEN, err);
      throw err;
    }
  });
}

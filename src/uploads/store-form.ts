/**
 * A form POSTed to a self-authorising store URL (`…/store/single?key=…`, storage/store-urls.ts):
 * multipart/form-data whose only needed field is `file`; other fields are ignored. The
 * token is the credential (session, method, size cap, expiry); the session must be open
 * and must not have received bytes yet (one POST per session: a replayed or second form is
 * 409). The file is streamed into storage with SHA-256 on the way, as a signed PUT's bytes;
 * a session that declared no size learns it from them (streamed-quota.ts).
 */
import { IntakeError, conflict, forbidden, invalid } from '../lib/errors.js';
import type { AppContext } from '../core/context.js';
import type { UploadRow } from '../db/schema.js';
import type { FormPart } from './form-upload.js';
import { openSessionFor, receiveBytes } from './receive-bytes.js';
import type { FormBodies } from './form-quota.js';
import { receiveUnsized, sizeDeferred } from './streamed-quota.js';

/** Runs `fn` as the session's only writer (http's upload gate). */
export type Exclusive = <T>(uploadId: string, fn: () => Promise<T>) => Promise<T>;

/** The open session a store URL's `key` names, or the error its token or state earns. */
export async function storeSession(deps: AppContext, key: string | undefined, method: 'POST' | 'PUT'): Promise<UploadRow> {
  if (!deps.storeUrls) throw new IntakeError('unavailable', 'This process serves no store URLs.');
  const token = deps.storeUrls.read(key, method, deps.clock.now().getTime());
  if (token === 'expired') throw new IntakeError('expired', 'This upload URL has expired.');
  if (token === 'bad_signature') throw forbidden('The upload URL\'s key is not valid for this request.', { reason: 'bad_signature' });
  const upload = await deps.store.uploads.findById(token.uploadId);
  if (!upload) throw new IntakeError('not_found', 'Upload session not found.');
  return openSessionFor(deps, upload.id, upload.storage_key);
}

export async function receiveStoreForm(
  deps: AppContext,
  key: string | undefined,
  parts: AsyncIterable<FormPart>,
  exclusive: Exclusive,
  bodies: FormBodies,
): Promise<{ upload: UploadRow; etag: string; size: number }> {
  // The token is checked before a byte of the body is read.
  const upload = await storeSession(deps, key, 'POST');
  for await (const part of parts) {
    if (part.type === 'field') continue;
    if (part.name !== 'file') {
      part.stream.resume();
      continue;
    }
    return exclusive(upload.id, async () => {
      const current = await openSessionFor(deps, upload.id, upload.storage_key);
      if (current.received_size !== null) throw conflict('This upload URL has already received its file.', { status: current.status });
      if (!(await sizeDeferred(deps, current))) return { upload: current, ...(await receiveBytes(deps, deps.storage, current, part.stream)) };
      // No declared size: the bytes say, quota is taken as they stream, the kind's limit bounds them.
      return receiveUnsized(deps, current, part.stream, bodies);
    });
  }
  throw invalid('The form has no "file" field.', 'file');
}

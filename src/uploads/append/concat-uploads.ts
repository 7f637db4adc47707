/**
 * tus concatenation: a final upload made of finished partial uploads, in the order given.
 * The final session is created with every check a session gets (type, size as the sum,
 * quota, alias, conditions), the partials' bytes are appended to it through the same
 * appender as a PATCH's, and the last one completes it. Only then are the partials closed
 * (their bytes and reservations released): a final that fails to assemble is canceled
 * and leaves the partials as they were, for another try.
 */
import type { Tenant } from '../../auth/principal.js';
import type { AppContext } from '../../core/context.js';
import { invalid } from '../../lib/errors.js';
import type { Appender } from '../../storage/object-storage.js';
import { closeSession } from '../close-session.js';
import type { CreateUploadInput } from '../create-upload.js';
import { OPEN } from '../status.js';
import {
  appendBytes,
  createAppendSession,
  findAppendSession,
  isPartial,
  lengthDeferred,
  offsetOf,
  requireOpen,
  targetOf,
  type AppendSession,
  type Appended,
} from './append-session.js';

/** The partials of a final upload: the caller's own, open, finished, each named once. */
async function finishedPartials(deps: AppContext, appender: Appender, tenant: Tenant, ids: readonly string[]): Promise<AppendSession[]> {
  if (ids.length === 0) throw invalid('Upload-Concat: final needs at least one partial upload.', 'Upload-Concat');
  if (new Set(ids).size !== ids.length) throw invalid('Upload-Concat names a partial upload twice.', 'Upload-Concat');
  const partials: AppendSession[] = [];
  for (const id of ids) {
    const s = await findAppendSession(deps, tenant, id);
    if (!isPartial(s)) throw invalid(`${id} is not a partial upload (create it with Upload-Concat: partial).`, 'Upload-Concat');
    requireOpen(s.upload);
    if (lengthDeferred(s) || (await offsetOf(appender, s)) !== s.upload.file_size) {
      throw invalid(`The partial upload ${id} is not finished: a final upload is made of finished ones.`, 'Upload-Concat', { upload_id: id });
    }
    partials.push(s);
  }
  return partials;
}

export async function concatUploads(
  deps: AppContext,
  appender: Appender,
  tenant: Tenant,
  ids: readonly string[],
  input: Omit<CreateUploadInput, 'file_size'>,
  opts: { metadata: string | null; concat: string },
): Promise<{ id: string; kind: string; appended: Appended }> {
  const partials = await finishedPartials(deps, appender, tenant, ids);
  const size = partials.reduce((n, p) => n + p.upload.file_size, 0);
  const created = await createAppendSession(deps, tenant, { ...input, file_size: size }, { metadata: opts.metadata, deferLength: false, concat: opts.concat });
  let appended: Appended = { offset: 0, completed: null };
  try {
    for (const p of partials) {
      // The partial's object, made whole and readable (S3: its multipart upload completed).
      await appender.finish(targetOf(p.upload), { size: p.upload.file_size, etag: '', digests: {} });
      const final = await findAppendSession(deps, tenant, created.id);
      appended = await appendBytes(deps, appender, final, appended.offset, await deps.storage.read(p.upload.storage_key));
    }
  } catch (err) {
    const final = await deps.store.uploads.findById(created.id);
    if (final) await closeSession(deps, final, 'canceled', OPEN);
    throw err;
  }
  for (const p of partials) await closeSession(deps, p.upload, 'canceled', OPEN);
  return { id: created.id, kind: created.kind, appended };
}

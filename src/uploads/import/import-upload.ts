/**
 * Imports (`POST /v1/uploads {"source_url": …}`): the session is created with every check
 * that needs no bytes (fields, type when declared, alias, conditions, the source's host)
 * and answered at once (202); the `upload.import` job fetches the source (fetch-source.ts)
 * into the session's object, reserves its size against the quota in the transaction that
 * publishes it, and completes the upload as POST …/complete would. Any failure lands in
 * the upload's status with its code (`source_failed`, `private_address`, `file_too_large`,
 * `quota_exceeded`…) and leaves no bytes.
 */
import type { Tenant } from '../../auth/principal.js';
import type { AppContext } from '../../core/context.js';
import { NO_ASSET, type UploadRow } from '../../db/schema.js';
import { mapAliasConflict, refuseTakenAlias } from '../../assets/fields.js';
import { IntakeError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { ObjectTooLargeError, StorageUnavailableError } from '../../storage/object-storage.js';
import { UNTYPED_SESSION_TYPE } from '../check-type.js';
import { closeSession } from '../close-session.js';
import { completeUpload } from '../complete-upload.js';
import { checkConditions } from '../conditions.js';
import { baseRow, checkSessionFields, currentNamespace, insertSessionRows, refuseAssetFields, sessionSizeLimit, type CreateUploadInput } from '../create-upload.js';
import { quotaExceeded, tooLarge } from '../limits.js';
import { OPEN } from '../status.js';
import { checkSourceUrl, fetchSource, refusePrivateHost, sourceError } from './fetch-source.js';

export type ImportInput = Omit<CreateUploadInput, 'filename' | 'content_type' | 'file_size' | 'protocol' | 'defer_length'> & {
  source_url: string;
  filename?: string;
  content_type?: string;
  file_size?: number;
};

/** The file name an import gets when none is sent: the URL's last path segment. */
function nameFrom(url: URL): string {
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '').trim();
  return last && last.length <= 255 ? last : 'import';
}

export async function createImport(deps: AppContext, tenant: Tenant, input: ImportInput): Promise<UploadRow> {
  // A bucket's checks need the type and size before signing; an import learns them from its source.
  for (const field of ['resumable', 'part_size', 'method', 'skip_duplicates', 'on_alias_conflict', 'bucket_id', 'bucket_property', 'bucket_type'] as const) {
    if (input[field] !== undefined) throw new IntakeError('invalid_request', `${field} does not apply to an import.`, { field });
  }
  const url = checkSourceUrl(input.source_url);
  const fields = checkSessionFields(deps, { ...input, filename: input.filename ?? nameFrom(url), content_type: input.content_type ?? UNTYPED_SESSION_TYPE, file_size: input.file_size ?? 1 });
  checkConditions(input.conditions);
  const detached = input.create_asset === false;
  if (detached) refuseAssetFields(input);
  const namespace = await currentNamespace(deps, tenant);
  const { limit, kind } = sessionSizeLimit(deps, namespace, fields.kind);
  if (input.file_size !== undefined && input.file_size > limit) throw tooLarge(input.file_size, limit, kind);
  await refuseTakenAlias(deps, namespace.id, fields.alias);
  await refusePrivateHost(url, deps.config.uploads.importAllowPrivate);
  const now = deps.clock.now();
  // Open while the fetch may run, and a little longer.
  const expiresIn = input.expires_in ?? Math.min(86_400, Math.ceil(deps.config.uploads.importTimeoutMs / 1000) + 600);
  const id = newId('upl');
  const row: UploadRow = Object.assign(baseRow(namespace.id, id, detached ? NO_ASSET : newId('med'), fields, { ...input, file_size: input.file_size ?? limit }, now, expiresIn), {
    status: 'pending' as const,
    method: 'import' as const,
    // Nothing is reserved until the size is known: the job reserves what arrived.
    reserved_bytes: 0,
    create_asset: detached ? 0 : 1,
  });
  await mapAliasConflict(fields, () =>
    deps.store.transaction(async (r) => {
      await insertSessionRows(r, namespace, row, fields);
      await r.transfers.insert({ upload_id: id, tus_metadata: null, length_deferred: 0, source_url: url.toString(), concat: null });
      await deps.jobs.enqueue(r, { name: 'upload.import', payload: { uploadId: id } });
    }),
  );
  return row;
}

/** The `upload.import` job. A storage outage is thrown (the queue retries); every other failure fails the upload. */
export async function runImport(deps: AppContext, uploadId: string, signal?: AbortSignal): Promise<void> {
  const upload = await deps.store.uploads.findById(uploadId);
  if (!upload || upload.method !== 'import' || !OPEN.includes(upload.status)) return;
  const source = (await deps.store.transfers.find(uploadId))?.source_url;
  if (!source) throw notFound('Import source');
  const namespace = await currentNamespace(deps, { namespaceId: upload.namespace_id });
  const room = namespace.quota_bytes === null ? Infinity : namespace.quota_bytes - namespace.stored_bytes - namespace.reserved_bytes;
  const maxSize = Math.max(0, Math.min(upload.file_size, room));
  const timeoutMs = deps.config.uploads.importTimeoutMs;
  const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
  try {
    const fetched = await fetchSource(new URL(source), { allowPrivate: deps.config.uploads.importAllowPrivate, maxSize, signal: deadline });
    await deps.storage.write(upload.storage_key, fetched.body, {
      maxSize,
      contentType: upload.content_type,
      // Complete, next, makes the bytes durable before it builds anything on them.
      deferSync: true,
      around: async (w, publish) => {
        await deps.store.transaction(async (r) => {
          if (!(await r.namespaces.reserve(upload.namespace_id, w.size))) throw quotaExceeded((await r.namespaces.find(upload.namespace_id))!, w.size);
          const moved = await r.uploads.transition(upload.id, OPEN, {
            status: 'uploading',
            file_size: w.size,
            reserved_bytes: w.size,
            received_size: w.size,
            received_sha256: w.sha256,
            received_etag: w.etag,
            updated_at: deps.clock.now().toISOString(),
          });
          if (!moved) throw conflict('The upload was closed while its source was arriving.', { status: 'closed' });
          await publish();
        });
      },
    });
  } catch (err) {
    // Handed back (shutdown) or its lease lost: the job runs again elsewhere; the session stays open.
    if (signal?.aborted) throw err;
    if (err instanceof StorageUnavailableError) throw err;
    const failure =
      err instanceof ObjectTooLargeError
        ? room < upload.file_size
          ? quotaExceeded(namespace, maxSize + 1)
          : new IntakeError('file_too_large', `The source is larger than the ${maxSize} bytes that may be imported.`, { max_size: maxSize, field: 'source_url' })
        : sourceError(err, timeoutMs);
    if (failure.code === 'conflict') return;
    await closeSession(deps, upload, 'failed', OPEN, failure);
    return;
  }
  try {
    await completeUpload(deps, { namespaceId: upload.namespace_id }, upload.id);
  } catch (err) {
    // A verdict on the bytes is recorded on the upload by complete itself.
    if (err instanceof IntakeError && err.code !== 'unavailable') return;
    throw err;
  }
}

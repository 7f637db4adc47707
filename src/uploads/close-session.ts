/**
 * Ending a session without an asset (failed, canceled, expired): the status changes by a
 * conditional update, the quota reservation and the pending asset (with its alias) go in
 * the same transaction, and the bytes are removed after it commits.
 */
import type { UploadRow, UploadStatus } from '../db/schema.js';
import type { IntakeError } from '../lib/errors.js';
import type { AppContext } from '../core/context.js';
import { emitEvent, uploadData } from '../webhooks/events.js';

export async function closeSession(
  deps: AppContext,
  upload: UploadRow,
  to: 'failed' | 'canceled' | 'expired',
  from: readonly UploadStatus[],
  error?: IntakeError,
): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const closed = await deps.store.transaction(async (r) => {
    const moved = await r.uploads.transition(upload.id, from, {
      status: to,
      updated_at: now,
      error_code: error?.code ?? null,
      error_message: error?.message ?? null,
      error_details: error ? JSON.stringify(error.details) : null,
    });
    if (!moved) return false;
    const reserved = await r.uploads.takeReservation(upload.id);
    if (reserved) await r.namespaces.adjust(upload.namespace_id, { reserved: -reserved });
    const asset = await r.assets.find(upload.namespace_id, upload.asset_id);
    if (asset && asset.upload_id === upload.id && asset.blob_id === null) await r.assets.delete(upload.namespace_id, asset.id);
    if (to !== 'canceled') {
      const closed = { ...upload, status: to, error_code: error?.code ?? null, error_message: error?.message ?? null };
      await emitEvent(deps, r, upload.namespace_id, to === 'failed' ? 'upload.failed' : 'upload.expired', uploadData(closed));
    }
    return true;
  });
  if (closed) await removeBytes(deps, upload);
  return closed;
}

/** Best effort: a failure here leaves bytes the daily reconciliation removes, never a wrong answer. */
export async function removeBytes(deps: Pick<AppContext, 'storage' | 'log'>, upload: UploadRow): Promise<void> {
  try {
    if (upload.multipart_id) await deps.storage.abortMultipart(upload.storage_key, upload.multipart_id);
    await deps.storage.deletePrefix(`${upload.namespace_id}/${upload.id}`);
  } catch (err) {
    deps.log.warn({ err, upload_id: upload.id }, 'could not delete upload bytes');
  }
}

/** Removes a session that should never have been accepted (bad form fields): no row, no bytes, no reservation. */
export async function discardSession(deps: AppContext, upload: UploadRow): Promise<void> {
  await deps.store.transaction(async (r) => {
    const reserved = await r.uploads.takeReservation(upload.id);
    if (reserved) await r.namespaces.adjust(upload.namespace_id, { reserved: -reserved });
    await r.uploads.remove(upload.id);
    await r.assets.delete(upload.namespace_id, upload.asset_id);
  });
  await removeBytes(deps, upload);
}

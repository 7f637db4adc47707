/**
 * `create_asset: false` uploads that nobody attached within a day are deleted with their
 * bytes and their quota released. The row goes by a conditional delete, so an attach
 * racing the sweeper either wins (the upload stays) or finds the upload gone (409).
 */
import type { UploadDeps } from './deps.js';
import { removeBytes } from './close-session.js';

/** How long a completed upload may wait to be attached with POST /v1/assets. */
export const UNATTACHED_TTL_MS = 24 * 3600_000;

export async function sweepUnattached(deps: Pick<UploadDeps, 'store' | 'storage' | 'clock' | 'log'>): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - UNATTACHED_TTL_MS).toISOString();
  let removed = 0;
  for (const upload of await deps.store.uploads.listUnattachedBefore(cutoff, 1000)) {
    const lastKey = await deps.store.transaction(async (r) => {
      if (!(await r.uploads.removeUnattached(upload.id))) return undefined;
      // Content dedupe may share the blob with an asset: its bytes stay until the last user goes.
      const gone = upload.blob_id ? await r.blobs.release(upload.blob_id) : undefined;
      if (gone) await r.namespaces.adjust(upload.namespace_id, { stored: -gone.size });
      return gone ? gone.storage_key : null;
    });
    if (lastKey === undefined) continue;
    removed++;
    if (lastKey === null) continue;
    await deps.storage.delete(lastKey).catch((err: unknown) => deps.log.warn({ err, upload_id: upload.id }, 'could not delete unattached bytes'));
    if (lastKey.startsWith(`${upload.namespace_id}/${upload.id}/`)) await removeBytes(deps, upload);
  }
  return removed;
}

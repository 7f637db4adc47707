/**
 * `create_asset: false` uploads that nobody attached within a day are deleted with their
 * bytes and their quota released. The row goes by a conditional delete, so an attach
 * racing the sweeper either wins (the upload stays) or finds the upload gone (409).
 */
import type { UploadRow } from '../db/schema.js';
import type { AppContext } from '../core/context.js';
import { removeBytes } from './close-session.js';

/** How long a completed upload may wait to be attached with POST /v1/assets. */
export const UNATTACHED_TTL_MS = 24 * 3600_000;

type Deps = Pick<AppContext, 'store' | 'storage' | 'clock' | 'log'>;

export async function sweepUnattached(deps: Deps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - UNATTACHED_TTL_MS).toISOString();
  let removed = 0;
  for (const upload of await deps.store.uploads.listUnattachedBefore(cutoff, 1000)) {
    if (await releaseUnattached(deps, upload)) removed++;
  }
  return removed;
}

/**
 * Gives up an unattached upload (the sweeper, or DELETE /v1/uploads/{id}): its row is
 * deleted — not kept as closed, since the purge of closed sessions removes their key prefix,
 * which may hold bytes a deduplicated asset still shares — its blob reference is released,
 * and its bytes go when it was the last user. False when an attach won the race.
 */
export async function releaseUnattached(deps: Deps, upload: UploadRow): Promise<boolean> {
  const lastKey = await deps.store.transaction(async (r) => {
    const taken = await r.uploads.removeUnattached(upload.id);
    if (!taken) return undefined;
    // Content dedupe may share the blob with an asset: its bytes stay until the last user goes.
    const gone = upload.blob_id ? await r.blobs.release(upload.blob_id) : undefined;
    if (gone) await r.namespaces.adjust(upload.namespace_id, { stored: -gone.size });
    return gone ? gone.storage_key : null;
  });
  if (lastKey === undefined) return false;
  if (lastKey !== null) {
    await deps.storage.delete(lastKey).catch((err: unknown) => deps.log.warn({ err, upload_id: upload.id }, 'could not delete unattached bytes'));
    if (lastKey.startsWith(`${upload.namespace_id}/${upload.id}/`)) await removeBytes(deps, upload);
  }
  return true;
}

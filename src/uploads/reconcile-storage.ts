/**
 * Removes stored objects that nothing references any more: bytes whose deletion failed,
 * or that a crash stranded between a database commit and a file operation. Keys have the
 * shape `<namespace>/<upl_…|med_…>/…`; anything else is left alone. Objects younger than
 * the grace period are skipped, so a write that is still being committed is never touched.
 */
import type { UploadDeps } from './deps.js';
import { OPEN } from './status.js';

export const RECONCILE_GRACE_MS = 60 * 60_000;

export async function reconcileStorage(deps: UploadDeps, graceMs = RECONCILE_GRACE_MS): Promise<{ checked: number; removed: number }> {
  const cutoff = deps.clock.now().getTime() - graceMs;
  let checked = 0;
  let removed = 0;
  for await (const obj of deps.storage.list()) {
    if (obj.lastModified.getTime() > cutoff) continue;
    checked++;
    if (await isReferenced(deps, obj.key)) continue;
    await deps.storage.delete(obj.key);
    deps.log.info({ key: obj.key, size: obj.size }, 'removed unreferenced object');
    removed++;
  }
  return { checked, removed };
}

async function isReferenced(deps: UploadDeps, key: string): Promise<boolean> {
  const [namespaceId, owner] = key.split('/');
  if (!namespaceId || !owner) return true;
  if (owner.startsWith('upl_')) {
    if (await deps.store.blobs.findByStorageKey(key)) return true;
    const upload = await deps.store.uploads.findById(owner);
    // Bytes of a session still open or being verified are its own; once closed, only a blob keeps them.
    return Boolean(upload && upload.namespace_id === namespaceId && [...OPEN, 'processing', 'storing'].includes(upload.status));
  }
  if (owner.startsWith('med_')) return Boolean(await deps.store.assets.find(namespaceId, owner));
  return true;
}

/**
 * Removes stored objects that nothing references any more: bytes whose deletion failed,
 * or that a crash stranded between a database commit and a file operation. Keys have the
 * shape `<namespace>/<upl_…|med_…>/…`; anything else is left alone. Objects younger than
 * the grace period are skipped, so a write that is still being committed is never touched.
 * Multipart uploads (parts of resumable sessions) that no live session owns are aborted too,
 * and, on their own, every minute or so (reconcileMultipart): what a crash orphaned is reclaimed
 * within minutes, not at the next daily walk of every object.
 */
import type { AppContext } from '../core/context.js';

/** Only what reconciliation touches: the database, the object store, the clock and the log. */
type Deps = Pick<AppContext, 'store' | 'storage' | 'clock' | 'log'>;
import { OPEN } from './status.js';

const RECONCILE_GRACE_MS = 60 * 60_000;

export async function reconcileStorage(deps: Deps, graceMs = RECONCILE_GRACE_MS): Promise<{ checked: number; removed: number }> {
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
  const multipart = await reconcileMultipart(deps, graceMs);
  return { checked: checked + multipart.checked, removed: removed + multipart.removed };
}

/**
 * Aborts multipart uploads that no live session owns and that were started more than
 * `graceMs` ago. The grace covers the one moment a multipart upload exists before its
 * session row is committed (parts/start-resumable.ts); a session that is open or being
 * completed owns its multipart upload however old, so one a client is still sending, or
 * resuming after a crash, is never touched.
 */
export async function reconcileMultipart(deps: Deps, graceMs: number): Promise<{ checked: number; removed: number }> {
  const cutoff = deps.clock.now().getTime() - graceMs;
  let checked = 0;
  let removed = 0;
  for await (const mp of deps.storage.listMultipart()) {
    if (mp.initiated.getTime() > cutoff) continue;
    checked++;
    if (await ownsMultipart(deps, mp.key, mp.multipartId)) continue;
    await deps.storage.abortMultipart(mp.key, mp.multipartId);
    deps.log.info({ key: mp.key, multipart_id: mp.multipartId }, 'aborted a multipart upload no session owns');
    removed++;
  }
  return { checked, removed };
}

/** Parts belong to a session still open or being completed that names this very multipart upload. */
async function ownsMultipart(deps: Deps, key: string, multipartId: string): Promise<boolean> {
  const [namespaceId, owner] = key.split('/');
  // Keys outside Intake's layout are left alone, as for objects.
  if (!namespaceId || !owner?.startsWith('upl_')) return true;
  const upload = await deps.store.uploads.findById(owner);
  return Boolean(upload && upload.namespace_id === namespaceId && upload.multipart_id === multipartId && [...OPEN, 'processing'].includes(upload.status));
}

async function isReferenced(deps: Deps, key: string): Promise<boolean> {
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

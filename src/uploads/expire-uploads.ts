/**
 * Sessions not completed by `expires_at` become `expired`: checked lazily whenever one is
 * read, and by the sweeper for the ones nobody reads. Their bytes and reservations go.
 */
import type { UploadRow } from '../db/schema.js';
import { closeSession } from './close-session.js';
import type { UploadDeps } from './deps.js';
import { OPEN } from './status.js';

/** The session as it stands now: expired (and cleaned up) if its time has passed. */
export async function expireIfDue(deps: UploadDeps, upload: UploadRow): Promise<UploadRow> {
  if (!OPEN.includes(upload.status) || Date.parse(upload.expires_at) > deps.clock.now().getTime()) return upload;
  await closeSession(deps, upload, 'expired', OPEN);
  return (await deps.store.uploads.findById(upload.id)) ?? upload;
}

/** One sweep: expires overdue sessions and purges long-finished ones. Returns counts. */
export async function sweepUploads(deps: UploadDeps, purgeAfterDays: number): Promise<{ expired: number; purged: number }> {
  const now = deps.clock.now();
  let expired = 0;
  for (;;) {
    const batch = await deps.store.uploads.listExpired(now.toISOString(), 100);
    for (const upload of batch) if (await closeSession(deps, upload, 'expired', OPEN)) expired++;
    if (batch.length < 100) break;
  }
  const cutoff = new Date(now.getTime() - purgeAfterDays * 86_400_000).toISOString();
  const purged = await deps.store.uploads.deleteFinishedBefore(cutoff, 1000);
  return { expired, purged };
}

/**
 * The periodic sweeper: expires overdue sessions, queues again verifications a crash
 * interrupted (takeover.ts does that within seconds; the sweep catches what it missed) or an outage postponed, and purges failed, canceled and expired sessions after the retention period.
 */
import type { UploadRow } from '../db/schema.js';
import { closeSession, removeBytes } from './close-session.js';
import type { AppContext } from '../core/context.js';
import { OPEN } from './status.js';
import { sweepUnattached } from './sweep-unattached.js';

/** Retry after 1, 2, 4 … minutes, at most an hour apart (complete gives up after MAX_ATTEMPTS). */
function retryDue(upload: UploadRow, now: Date): boolean {
  if (upload.attempts === 0) return true;
  const waitMs = Math.min(2 ** (upload.attempts - 1), 60) * 60_000;
  return Date.parse(upload.updated_at) + waitMs <= now.getTime();
}

/** One sweep: expires overdue sessions, resumes interrupted verifications, purges long-finished sessions. */
export async function sweepUploads(
  deps: AppContext,
  purgeAfterDays: number,
): Promise<{ expired: number; purged: number; resumed: number; unattached: number }> {
  const now = deps.clock.now();
  let resumed = 0;
  // Form uploads whose background completion failed for a passing reason: retried with backoff.
  const waiting = (await deps.store.uploads.listReceivedUncompleted(100)).filter((u) => retryDue(u, now));
  for (const upload of [...waiting, ...(await deps.store.uploads.listLeaseExpired(now.toISOString(), 100))]) {
    // Verification runs as a job, on a worker rather than in the sweeping process; queueing is idempotent per upload.
    await deps.store.transaction((r) => deps.jobs.enqueue(r, { name: 'upload.verify', payload: { uploadId: upload.id } }));
    resumed++;
  }
  let expired = 0;
  for (;;) {
    const batch = await deps.store.uploads.listExpired(now.toISOString(), 100);
    for (const upload of batch) if (await closeSession(deps, upload, 'expired', OPEN)) expired++;
    if (batch.length < 100) break;
  }
  const cutoff = new Date(now.getTime() - purgeAfterDays * 86_400_000).toISOString();
  let purged = 0;
  for (const upload of await deps.store.uploads.listFinishedBefore(cutoff, 1000)) {
    // Their bytes went when they closed; removing the prefix again catches any a failure left.
    await removeBytes(deps, upload);
    await deps.store.uploads.remove(upload.id);
    purged++;
  }
  const unattached = await sweepUnattached(deps);
  // Failed jobs and finished webhook deliveries are kept for inspection as long as closed sessions.
  await deps.store.jobs.purgeFailed(cutoff);
  await deps.store.webhooks.purgeDeliveries(cutoff);
  return { expired, purged, resumed, unattached };
}

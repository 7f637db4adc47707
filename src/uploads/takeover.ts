/**
 * Verifications whose holder died: a session in `processing` whose lease ran out
 * (complete-upload.ts) is handed to a worker as an `upload.verify` job, which takes the
 * lease over. Run every lease period by one process (main/maintenance.ts), so a complete
 * whose API process was killed finishes within seconds even if its client never retries.
 * Queueing is idempotent per upload, so a session already waiting for its job costs nothing.
 */
import type { AppContext } from '../core/context.js';

export async function queueTakeovers(deps: Pick<AppContext, 'store' | 'jobs' | 'clock'>, limit = 500): Promise<number> {
  const expired = await deps.store.uploads.listLeaseExpired(deps.clock.now().toISOString(), limit);
  for (const upload of expired) {
    await deps.store.transaction((r) => deps.jobs.enqueue(r, { name: 'upload.verify', payload: { uploadId: upload.id } }));
  }
  return expired.length;
}

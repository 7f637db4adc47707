/**
 * Sessions not completed by `expires_at` become `expired`: checked lazily whenever one is
 * read, and by the sweeper for the ones nobody reads. Their bytes and reservations go.
 */
import type { UploadRow } from '../db/schema.js';
import { closeSession } from './close-session.js';
import type { AppContext } from '../core/context.js';
import { OPEN } from './status.js';

/** The session as it stands now: expired (and cleaned up) if its time has passed. */
export async function expireIfDue(deps: AppContext, upload: UploadRow): Promise<UploadRow> {
  if (!OPEN.includes(upload.status) || Date.parse(upload.expires_at) > deps.clock.now().getTime()) return upload;
  // A form upload was answered 202 with its bytes stored: it is completed, not expired.
  if (upload.method === 'form' && upload.received_size !== null) return upload;
  await closeSession(deps, upload, 'expired', OPEN);
  return (await deps.store.uploads.findById(upload.id)) ?? upload;
}

/**
 * Admission for request bodies that become stored bytes (PUT/POST to signed URLs, form
 * uploads): at most `max` at once in this process (more get a 503 before a byte is read),
 * and one at a time per upload session (a second one gets 409 with Retry-After). Parallel
 * PUTs to one URL would otherwise each fill their own temp file up to the session's size,
 * several times what its quota reservation covers, and race each other's rename.
 */
import { IntakeError, conflict } from '../../lib/errors.js';

/** Seconds a refused client is asked to wait. */
const RETRY_AFTER_SECONDS = 5;

export class UploadGate {
  private inFlight = 0;
  private readonly sessions = new Set<string>();

  constructor(private readonly max: number) {}

  /** Bodies being received now. */
  get active(): number {
    return this.inFlight;
  }

  /** Runs `fn` as one of the admitted uploads, or throws 503 when all slots are taken. */
  async admit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.max) {
      throw new IntakeError('unavailable', 'Too many uploads are in progress; retry shortly.', { reason: 'busy', retry_after: RETRY_AFTER_SECONDS });
    }
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  /** Runs `fn` as the session's only writer, or throws 409 when another request is sending its bytes. */
  async exclusive<T>(uploadId: string, fn: () => Promise<T>): Promise<T> {
    if (this.sessions.has(uploadId)) {
      throw conflict('Another request is sending this upload\'s bytes; wait for it to finish, then retry.', {
        reason: 'upload_in_progress',
        retry_after: RETRY_AFTER_SECONDS,
      });
    }
    this.sessions.add(uploadId);
    try {
      return await fn();
    } finally {
      this.sessions.delete(uploadId);
    }
  }
}

import { OPEN_STATUSES, type UploadStatus } from '../db/schema.js';

/** The contract's numeric code for each status (4 is unused). */
export const STATUS_CODES: Record<UploadStatus, number> = {
  pending: 1,
  uploading: 2,
  processing: 3,
  storing: 5,
  completed: 6,
  failed: 7,
  canceled: 8,
  expired: 9,
};

/** Statuses in which bytes may still arrive. */
export const OPEN: readonly UploadStatus[] = OPEN_STATUSES;

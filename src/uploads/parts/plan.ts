/**
 * Part-size maths for resumable sessions. The limits are S3's (the strictest store Intake
 * speaks to), applied on every driver so a session behaves the same on local disk.
 */
const MIB = 1024 * 1024;

/** S3: every part but the last must be at least 5 MiB. */
export const MIN_PART_SIZE = 5 * MIB;
/** S3: a part is at most 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 * MIB;
/** S3: at most 10,000 parts per upload. */
export const MAX_PARTS = 10_000;
/** When the client names no part_size: few requests, small enough to re-send cheaply. */
export const DEFAULT_PART_SIZE = 16 * MIB;
/** The contract: `resumable` defaults to true above 64 MiB. */
const RESUMABLE_ABOVE = 64 * MIB;
/** Part URLs in the create response (and per POST /parts). */
export const URLS_PER_RESPONSE = 100;

export interface PartPlan {
  partSize: number;
  count: number;
}

/** The part size (the client's, raised to a whole MiB that keeps parts ≤ MAX_PARTS) and the part count. */
export function planParts(fileSize: number, requested = DEFAULT_PART_SIZE): PartPlan {
  const fit = Math.ceil(Math.ceil(fileSize / MAX_PARTS) / MIB) * MIB;
  const partSize = Math.max(requested, MIN_PART_SIZE, fit);
  return { partSize, count: Math.max(1, Math.ceil(fileSize / partSize)) };
}

/** Where part `n` (1-based) starts and how many bytes it holds. */
export function partRange(fileSize: number, plan: PartPlan, n: number): { offset: number; size: number } {
  const offset = (n - 1) * plan.partSize;
  return { offset, size: Math.min(plan.partSize, fileSize - offset) };
}

export function isResumable(fileSize: number, requested: boolean | undefined): boolean {
  return requested ?? fileSize > RESUMABLE_ABOVE;
}

/**
 * Every domain error Intake can raise, each with a stable code. Use cases throw these;
 * the HTTP layer alone maps a code to a status. Nothing matches on message text.
 */

/** Every code, once: ErrorCode is derived from it, and the docs test walks it. */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'quota_exceeded',
  'not_found',
  'conflict',
  'expired',
  'file_too_large',
  'unsupported_media_type',
  'verification_failed',
  'conditions_not_met',
  'rate_limited',
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

/**
 * The catalogue of `details.reason` values: where one code covers several causes, the
 * reason says which. Each reason belongs to one code; docs/API.md lists them all.
 */
export const REASONS = {
  missing: 'verification_failed',
  etag_mismatch: 'verification_failed',
  size_mismatch: 'verification_failed',
  checksum_mismatch: 'verification_failed',
  lost_on_restart: 'verification_failed',
  unverifiable: 'verification_failed',
  unrecognised: 'unsupported_media_type',
  kind_mismatch: 'unsupported_media_type',
  type_not_allowed: 'unsupported_media_type',
  undecodable: 'unsupported_media_type',
  too_many_pixels: 'file_too_large',
  too_complex: 'file_too_large',
  upload_in_progress: 'conflict',
  busy: 'unavailable',
  bad_signature: 'forbidden',
  link_expired: 'forbidden',
  incomplete_body: 'invalid_request',
  verifying: 'conflict',
  not_resumable: 'conflict',
  missing_part: 'verification_failed',
  part_too_small: 'verification_failed',
  duplicate_part: 'verification_failed',
  has_asset: 'conflict',
  attached: 'conflict',
  gone: 'conflict',
  private_address: 'invalid_request',
  unresolvable: 'invalid_request',
  processing_failed: 'conflict',
  no_bytes_yet: 'conflict',
  offset_mismatch: 'conflict',
  unsupported_version: 'invalid_request',
  chunk_checksum_mismatch: 'verification_failed',
  source_failed: 'invalid_request',
  bucket_inactive: 'invalid_request',
  schema_mismatch: 'invalid_request',
  not_empty: 'conflict',
  unique_key_taken: 'conflict',
  final_upload: 'forbidden',
  metadata_too_deep: 'invalid_request',
  metadata_too_large: 'invalid_request',
} as const satisfies Record<string, ErrorCode>;
export type Reason = keyof typeof REASONS;

/** The reasons code C may carry (never, for a code that has none). */
export type ReasonOf<C extends ErrorCode> = { [R in Reason]: (typeof REASONS)[R] extends C ? R : never }[Reason];

/** `details` of an error: a reason from the catalogue, the field at fault, and whatever else explains it. */
export interface ErrorDetails {
  reason?: Reason;
  field?: string;
  retry_after?: number;
  /** The resource's status, where its state is why the request was refused. */
  status?: string;
  [key: string]: unknown;
}

/** Details for code C: a reason, if any, must be one of C's. */
export type DetailsOf<C extends ErrorCode> = ErrorDetails & { reason?: ReasonOf<C> };

/** What the constructor takes: a code, then details whose reason belongs to that code. */
export type IntakeErrorArgs = { [C in ErrorCode]: [code: C, message: string, details?: DetailsOf<C>] }[ErrorCode];

export class IntakeError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(...[code, message, details = {}]: IntakeErrorArgs) {
    super(message);
    this.name = 'IntakeError';
    this.code = code;
    this.details = details;
  }
}

/** Details to go beside a reason given on its own (they cannot replace it). */
export type ExtraDetails = ErrorDetails & { reason?: never };

/** The error a reason names: its code comes from the catalogue. */
export function withReason(reason: Reason, message: string, extra: ExtraDetails = {}): IntakeError {
  return new IntakeError(...([REASONS[reason], message, { ...extra, reason }] as IntakeErrorArgs));
}

export const invalid = (message: string, field?: string, extra: DetailsOf<'invalid_request'> = {}) =>
  new IntakeError('invalid_request', message, field ? { field, ...extra } : extra);
export const notFound = (what: string) => new IntakeError('not_found', `${what} not found.`);
export const conflict = (message: string, details: DetailsOf<'conflict'> = {}) => new IntakeError('conflict', message, details);
export const forbidden = (message: string, details: DetailsOf<'forbidden'> = {}) => new IntakeError('forbidden', message, details);
export const unavailable = (message: string) => new IntakeError('unavailable', message);

export function isIntakeError(err: unknown): err is IntakeError {
  return err instanceof IntakeError;
}

/**
 * Codes a row stores (`uploads.error_code`, `assets.error_code`, shown as `error.code` and
 * in webhooks) that no request raises: failures that happen after the request that
 * started them answered. Each is answered, when a request meets it later (complete
 * again), as the error its reason names; a row's other codes are the ErrorCode the
 * request that failed it answered with.
 */
export const STORED_ONLY_CODES = {
  /** Verified, then the renditions could not be made (media that cannot be decoded, or a job out of attempts). */
  processing_failed: 'processing_failed',
} as const satisfies Record<string, Reason>;
export type StoredErrorCode = ErrorCode | keyof typeof STORED_ONLY_CODES;

/**
 * The error a failed row answers with from now on: its stored code, message and details
 * as a request error. An ErrorCode is answered as it was; a stored-only code as the
 * error of its reason, with `details.status: "failed"`. A code this version does not know
 * (written by another) is a 409 conflict with `details.status`, never a 500.
 */
export function storedError(code: StoredErrorCode | null, message: string, details: ErrorDetails = {}): IntakeError {
  if (code === null) return new IntakeError('verification_failed', message, details as DetailsOf<'verification_failed'>);
  if (isErrorCode(code)) return new IntakeError(...([code, message, details] as IntakeErrorArgs));
  const reason = (STORED_ONLY_CODES as Partial<Record<string, Reason>>)[code];
  if (reason) return withReason(reason, message, { ...details, reason: undefined, status: 'failed' });
  return conflict(message, { status: 'failed' });
}

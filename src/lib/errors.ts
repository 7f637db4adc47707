/**
 * Every domain error Intake can raise, each with a stable code. Use cases throw these;
 * the HTTP layer alone maps a code to a status. Nothing matches on message text.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'quota_exceeded'
  | 'not_found'
  | 'conflict'
  | 'expired'
  | 'file_too_large'
  | 'unsupported_media_type'
  | 'verification_failed'
  | 'conditions_not_met'
  | 'rate_limited'
  | 'unavailable';

export type ErrorDetails = Record<string, unknown>;

export class IntakeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}

export const invalid = (message: string, field?: string, extra: ErrorDetails = {}) =>
  new IntakeError('invalid_request', message, field ? { field, ...extra } : extra);
export const notFound = (what: string) => new IntakeError('not_found', `${what} not found.`);
export const conflict = (message: string, details: ErrorDetails = {}) => new IntakeError('conflict', message, details);
export const forbidden = (message: string, details: ErrorDetails = {}) => new IntakeError('forbidden', message, details);
export const unavailable = (message: string) => new IntakeError('unavailable', message);

export function isIntakeError(err: unknown): err is IntakeError {
  return err instanceof IntakeError;
}

/** Every code, as a tuple the docs test walks; `satisfies` keeps it in step with ErrorCode. */
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
] as const satisfies readonly ErrorCode[];
type MissingCode = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
// A compile error here names a code added to ErrorCode but not to ERROR_CODES.
export const everyCodeListed: MissingCode extends never ? true : MissingCode = true;

/**
 * The catalogue of `details.reason` values: where one code covers several causes, the
 * reason says which. Each reason belongs to one code; docs/API.md lists them all.
 */
export const REASONS = {
  missing: 'verification_failed',
  etag_mismatch: 'verification_failed',
  size_mismatch: 'verification_failed',
  checksum_mismatch: 'verification_failed',
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
} as const satisfies Record<string, ErrorCode>;

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

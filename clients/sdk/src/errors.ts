/**
 * The SDK's errors. `IntakeError` is an answer from Intake (or from the storage behind a
 * signed URL) with its HTTP status and stable code; `IntakeNetworkError` means no answer
 * arrived; `UploadStoppedError` is an upload the caller paused or canceled.
 */
import type { ApiErrorCode } from './api-types.js';

export interface ErrorEnvelope {
  code: string;
  message: string;
  details?: unknown;
}

export class IntakeError extends Error {
  override readonly name = 'IntakeError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The API's stable code (`file_too_large`, `unauthorized`…); `storage_error` for a store's own refusal. */
  readonly code: ApiErrorCode | (string & {});
  /** `error.details` of the envelope (`reason`, `field`…); `{}` when there were none. */
  readonly details: Record<string, unknown>;
  /** `meta.request_id` (also the `X-Request-Id` header), to find the request in Intake's logs. */
  readonly requestId: string | null;
  /** Seconds from `Retry-After`, when the answer had one. */
  readonly retryAfter: number | null;

  constructor(status: number, error: ErrorEnvelope, extra: { requestId?: string | null; retryAfter?: number | null } = {}) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = isRecord(error.details) ? error.details : {};
    this.requestId = extra.requestId ?? null;
    this.retryAfter = extra.retryAfter ?? null;
  }

  /** `details.reason`, where one code covers several causes (`upload_in_progress`, `expired`…). */
  get reason(): string | undefined {
    return typeof this.details.reason === 'string' ? this.details.reason : undefined;
  }
}

/** The request never got an answer: connection refused or dropped, DNS, TLS, timeout. Safe to retry. */
export class IntakeNetworkError extends Error {
  override readonly name = 'IntakeNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `paused`: stopped by `pauseSignal`, the session kept to resume. `canceled`: stopped by `signal`, the session canceled on the server. */
export class UploadStoppedError extends Error {
  override readonly name = 'UploadStoppedError';
  constructor(
    readonly reason: 'paused' | 'canceled',
    /** The session's id, when one had been created. */
    readonly uploadId: string | null,
    /** Bytes sent before it stopped (the last `bytesUploaded`): what a progress bar shows at the end. */
    readonly bytesSent = 0,
  ) {
    super(reason === 'paused' ? 'Upload paused: run it again to resume.' : 'Upload canceled.');
  }
}

/** `waitForReady` gave up before the asset left `processing`. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(readonly assetId: string, readonly lastStatus: string) {
    super(`Asset ${assetId} still ${lastStatus} when the wait ended.`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

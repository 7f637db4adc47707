/** The options and results of `upload()`. */
import type { Asset, CompletedUpload, CreateUploadBody, SkippedUpload, UploadSession } from './api-types.js';
import type { UploadBackend } from './backend.js';
import type { UploadStateStore } from './state-store.js';
import type { PutTransport } from './transfer.js';

/** Session fields passed through to `POST /v1/uploads` (the SDK fills filename, content_type, file_size, file_hash). */
export type SessionFields = Omit<CreateUploadBody, 'filename' | 'content_type' | 'file_size' | 'file_hash' | 'resumable' | 'part_size' | 'method'>;

export interface RetryOptions {
  /** Attempts after the first for one request (a part, the PUT, a keyed call). Default 5. */
  retries?: number;
  /** First backoff delay; doubled each attempt, with full jitter. Default 500 ms. */
  minDelayMs?: number;
  /** Longest delay, also the cap on a `Retry-After`. Default 15 s. */
  maxDelayMs?: number;
}

export interface Progress {
  /**
   * Bytes sent: what storage acknowledged plus what the requests in flight have handed to the
   * network (XMLHttpRequest upload events in browsers, socket writes in `@intake/sdk/node`).
   * Moves with the bytes and never goes backwards (a retried part holds it still).
   */
  bytesUploaded: number;
  /** Bytes storage has acknowledged (a part or the PUT counts once its answer arrived): what a resume keeps. */
  bytesAcknowledged: number;
  /** The file's size. */
  bytesTotal: number;
}

export interface UploadOptions {
  /** Every keyed step: `intakeBackend({ baseUrl, apiKey })` or `appServerBackend({ endpoint })`. */
  backend: UploadBackend;
  /** Overrides the source's name (needed for a bare Blob). */
  filename?: string;
  /** Overrides the source's type (needed when the browser or the file name gives none). */
  contentType?: string;
  /** Asset and session fields: `folder`, `alias`, `title`, `metadata`, `conditions`… */
  fields?: SessionFields;
  /** `true` (default when the file is over `resumableThreshold`): send in parts. */
  resumable?: boolean;
  /** Files over this many bytes are resumable unless `resumable` says otherwise. Default 64 MiB (the server's own default). */
  resumableThreshold?: number;
  /** Part size for resumable sessions (≥ 5 MiB; the server raises it to keep ≤ 10,000 parts). Default: the server's (16 MiB). */
  partSize?: number;
  /** Parts in flight at once. Default 4. */
  parallel?: number;
  /** `true`: compute the SHA-256 while reading the file once (no whole file in memory) and send it as `file_hash`; a string: that hash (64 hex). */
  sha256?: boolean | string;
  /** Called as bytes are sent and acknowledged; `bytesUploaded` ends exactly at the file size. */
  onProgress?: (progress: Progress) => void;
  /** Called while hashing with the bytes hashed so far. */
  onHashProgress?: (progress: Pick<Progress, 'bytesUploaded' | 'bytesTotal'>) => void;
  /** Aborting cancels: in-flight requests stop, the session is canceled on the server (DELETE) and forgotten. */
  signal?: AbortSignal;
  /** Aborting pauses: in-flight requests stop, the session is kept; `upload()` of the same file resumes it. */
  pauseSignal?: AbortSignal;
  /** Where sessions are kept to resume. Default: localStorage in browsers, memory elsewhere (`@intake/sdk/node` defaults to a state file). */
  stateStore?: UploadStateStore;
  /** `false`: never resume a stored session (a new one each time). Default true. */
  resume?: boolean;
  /** Wait for the asset to be `ready` (videos and audio are processed after complete). `true` or a timeout. Default false. */
  waitForReady?: boolean | { timeoutMs?: number; intervalMs?: number };
  retry?: RetryOptions;
  /** The fetch used for signed URLs (progress then counts what fetch pulls). Default: XMLHttpRequest in browsers, globalThis.fetch elsewhere. */
  fetch?: typeof fetch;
  /** How bytes go to signed URLs (overrides `fetch`). `@intake/sdk/node` defaults to node:http, counting what the socket takes. */
  transport?: PutTransport;
}

/** The bytes were sent and verified. `asset` is null for `create_asset: false`. */
export interface UploadedResult {
  outcome: 'uploaded';
  uploadId: string;
  assetId: string | null;
  /** The upload as complete answered (or as it stands, when a restart found it already completed). */
  upload: CompletedUpload | null;
  /** The asset: as complete left it, or `ready` with `waitForReady`. */
  asset: Asset | null;
  /** True when a stored session was resumed. */
  resumed: boolean;
}

/** `file_hash` matched content the namespace already stores: nothing was sent, `assetId` is the existing asset. */
export interface DuplicateResult {
  outcome: 'duplicate';
  uploadId: string;
  assetId: string;
  /** The upload that first stored this content. */
  duplicateOf: string | null;
  session: UploadSession;
  asset: Asset | null;
}

/** `fields.on_alias_conflict: "skip"` and the alias was taken, or the bucket's unique key (alias null): nothing recorded. */
export interface SkippedResult {
  outcome: 'skipped';
  assetId: string;
  alias: string | null;
  answer: SkippedUpload;
}

export type UploadResult = UploadedResult | DuplicateResult | SkippedResult;

/**
 * @intake/sdk — the universal entry (browsers, bundlers, Node, Deno, workers): nothing here
 * imports a `node:` module. Node-only pieces (files by path, a state file) are in
 * `@intake/sdk/node`.
 */
export { upload } from './upload.js';
export type { UploadOptions, UploadResult, UploadedResult, DuplicateResult, SkippedResult, Progress, RetryOptions, SessionFields } from './upload-types.js';
export type { UploadBackend, BackendRequest, BackendAction } from './backend.js';
export { BACKEND_ACTIONS } from './backend.js';
export { intakeBackend } from './intake-backend.js';
export { appServerBackend, type AppServerBackendOptions } from './app-server-backend.js';
export { createUploadHandler, parseBackendRequest, type UploadHandler, type UploadHandlerOptions, type HandlerAnswer } from './upload-handler.js';
export { createIntakeClient, type IntakeClient, type IntakeClientOptions, type Page } from './client.js';
export { IntakeError, IntakeNetworkError, UploadStoppedError, WaitTimeoutError, type ErrorEnvelope } from './errors.js';
export { blobSource, isUploadSource, type UploadSource, type NamedBlob } from './source.js';
export { memoryStateStore, webStorageStateStore, defaultStateStore, type UploadStateStore, type StoredUpload, type WebStorage } from './state-store.js';
export { sha256Hex } from './hash.js';
export { fetchTransport, type PutTransport, type PutRequest } from './transfer.js';
export { waitForReady, type WaitOptions } from './wait-ready.js';
export { isRetryable, backoffDelay } from './retry.js';
export * from './api-types.js';
export type { paths } from './openapi.js';

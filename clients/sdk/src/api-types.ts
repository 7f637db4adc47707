/**
 * The API's shapes, taken from the generated openapi.d.ts (never written by hand), so a
 * change to the server's schemas shows up here as a type error instead of a silent drift.
 */
import type { paths } from './openapi.js';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Responses<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? R : never;
/** The `data` of route P, method M, status S. */
export type ApiData<P extends keyof paths, M extends keyof paths[P], S extends keyof Responses<P, M>> = Json<Responses<P, M>[S]> extends { data: infer D } ? D : never;
/** The JSON body of route P, method M. */
export type ApiBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;
/** The query of route P, method M. */
export type ApiQuery<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** `POST /v1/uploads` JSON body. */
export type CreateUploadBody = ApiBody<'/v1/uploads', 'post'>;
/** A session: 201 (send the bytes) or 200 with `is_duplicate: true` (nothing to send). */
export type UploadSession = ApiData<'/v1/uploads', 'post', 201>;
/** 200 for `on_alias_conflict: "skip"` with the alias taken: nothing recorded. */
export type SkippedUpload = Extract<ApiData<'/v1/uploads', 'post', 200>, { skipped_unique_key: true }>;
/** What `POST /v1/uploads` can answer with JSON. */
export type CreateUploadAnswer = UploadSession | SkippedUpload;
/** The parts plan of a resumable session (`parts`), also the answer to sign-parts. */
export type PartsPlan = NonNullable<UploadSession['parts']>;
/** One signed part URL of a plan. */
export type PartUrl = PartsPlan['urls'][number];
/** One part storage holds (`GET /v1/uploads/{id}/parts`). */
export type UploadedPart = ApiData<'/v1/uploads/{id}/parts', 'get', 200>[number];
/** `POST /v1/uploads/{id}/complete` JSON body. */
export type CompleteUploadBody = ApiBody<'/v1/uploads/{id}/complete', 'post'>;
/** The upload after complete, with its asset (null for `create_asset: false`). */
export type CompletedUpload = ApiData<'/v1/uploads/{id}/complete', 'post', 200>;
/** `GET /v1/uploads/{id}`. */
export type UploadView = ApiData<'/v1/uploads/{id}', 'get', 200>;
/** `GET /v1/assets/{id}`. */
export type Asset = ApiData<'/v1/assets/{id}', 'get', 200>;
/** `GET /v1/webhooks/{id}`. */
export type Webhook = ApiData<'/v1/webhooks/{id}', 'get', 200>;
/** `GET /v1/buckets/{id}`. */
export type Bucket = ApiData<'/v1/buckets/{id}', 'get', 200>;
/** `GET /v1/tasks/{id}`: an async complete's state. */
export type Task = ApiData<'/v1/tasks/{id}', 'get', 200>;

/** Upload statuses (docs/API.md "Status, list, cancel"). */
export const UPLOAD_STATUSES = ['pending', 'uploading', 'processing', 'storing', 'completed', 'failed', 'canceled', 'expired'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
/** Asset statuses. */
export const ASSET_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

/** The API's stable error codes (docs/API.md "Errors"). */
export const API_ERROR_CODES = [
  'invalid_request', 'unauthorized', 'forbidden', 'quota_exceeded', 'not_found', 'conflict', 'expired', 'file_too_large',
  'unsupported_media_type', 'verification_failed', 'conditions_not_met', 'rate_limited', 'unavailable', 'internal_error',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Every keyed step of an upload goes through an `UploadBackend`; only the signed part and
 * file URLs are called directly. `intakeBackend` calls Intake with an API key (Node, the
 * app's server); `appServerBackend` calls the app's own endpoint (browsers, which hold no
 * key), served by `createUploadHandler`.
 */
import type { Asset, CompleteUploadBody, CompletedUpload, CreateUploadAnswer, CreateUploadBody, PartsPlan, UploadView, UploadedPart } from './api-types.js';

export interface UploadBackend {
  /** Creates a session (`POST /v1/uploads`); answers the session, a duplicate (`is_duplicate`) or a skip. */
  createUpload(body: CreateUploadBody, signal?: AbortSignal): Promise<CreateUploadAnswer>;
  /** Signs fresh URLs for parts of a resumable session (`POST /v1/uploads/{id}/parts`). */
  signParts(uploadId: string, partNumbers: number[], signal?: AbortSignal): Promise<PartsPlan>;
  /** The parts storage holds (`GET /v1/uploads/{id}/parts`), to resume without resending them. */
  listParts(uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]>;
  /** Joins and verifies the bytes (`POST /v1/uploads/{id}/complete`). */
  completeUpload(uploadId: string, body: CompleteUploadBody, signal?: AbortSignal): Promise<CompletedUpload>;
  /** Cancels an open session (`DELETE /v1/uploads/{id}`); its bytes and reservation go. */
  cancelUpload(uploadId: string, signal?: AbortSignal): Promise<void>;
  /** The session's status (`GET /v1/uploads/{id}`), to decide whether a stored session can resume. */
  getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadView>;
  /** The asset (`GET /v1/assets/{id}`), polled while waiting for `ready`. */
  getAsset(assetId: string, signal?: AbortSignal): Promise<Asset>;
}

/** The steps as `appServerBackend` names them on the wire (`{"action": …}`) and `createUploadHandler` receives them. */
export const BACKEND_ACTIONS = ['create', 'sign_parts', 'list_parts', 'complete', 'cancel', 'get_upload', 'get_asset'] as const;
export type BackendAction = (typeof BACKEND_ACTIONS)[number];

/** One request from `appServerBackend` to the app's server. */
export type BackendRequest =
  | { action: 'create'; body: CreateUploadBody }
  | { action: 'sign_parts'; upload_id: string; part_numbers: number[] }
  | { action: 'list_parts'; upload_id: string }
  | { action: 'complete'; upload_id: string; body: CompleteUploadBody }
  | { action: 'cancel'; upload_id: string }
  | { action: 'get_upload'; upload_id: string }
  | { action: 'get_asset'; asset_id: string };

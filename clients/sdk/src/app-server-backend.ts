/**
 * The backend for browsers: every keyed step is a `POST` of `{"action": …}` to the app's
 * own endpoint (served by `createUploadHandler` on the app's server, which holds the key
 * and decides what this user may do). The answer is Intake's envelope, relayed.
 */
import type { BackendRequest, UploadBackend } from './backend.js';
import { envelopeData, send } from './http.js';

export interface AppServerBackendOptions {
  /** The app's endpoint, e.g. `/api/uploads` (same origin: the browser's cookies go with it). */
  endpoint: string;
  /** Extra headers on each call (a CSRF token, the app's own bearer token…); a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** `fetch`'s `credentials`. Default `same-origin`. */
  credentials?: RequestInit['credentials'];
  fetch?: typeof fetch;
}

export function appServerBackend(options: AppServerBackendOptions): UploadBackend {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const call = async <T>(request: BackendRequest, signal?: AbortSignal): Promise<T> => {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const response = await send(fetchFn, options.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...extra },
      body: JSON.stringify(request),
      credentials: options.credentials ?? 'same-origin',
      signal,
    });
    return envelopeData<T>(response);
  };
  return {
    createUpload: (body, signal) => call({ action: 'create', body }, signal),
    signParts: (upload_id, part_numbers, signal) => call({ action: 'sign_parts', upload_id, part_numbers }, signal),
    listParts: (upload_id, signal) => call({ action: 'list_parts', upload_id }, signal),
    completeUpload: (upload_id, body, signal) => call({ action: 'complete', upload_id, body }, signal),
    cancelUpload: async (upload_id, signal) => void (await call({ action: 'cancel', upload_id }, signal)),
    getUpload: (upload_id, signal) => call({ action: 'get_upload', upload_id }, signal),
    getAsset: (asset_id, signal) => call({ action: 'get_asset', asset_id }, signal),
  };
}

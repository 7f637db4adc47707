/**
 * The app-server side of `appServerBackend`: a framework-agnostic function the app mounts
 * on one POST route. It checks the request's shape, lets the app authorise and shape it
 * (force a folder, check the upload belongs to this user), forwards it to Intake with the
 * app's key, and answers Intake's envelope with Intake's status — or the app's refusal.
 */
import { BACKEND_ACTIONS, type BackendRequest, type UploadBackend } from './backend.js';
import { IntakeError, IntakeNetworkError, isRecord } from './errors.js';
import { intakeBackend } from './intake-backend.js';
import type { IntakeClientOptions } from './client.js';

export interface UploadHandlerOptions<Context> extends IntakeClientOptions {
  /**
   * Called before each request is forwarded, with what the app passed as `context` (the
   * signed-in user…). Return the request to forward (changed or not); throw an
   * `IntakeError` (e.g. `new IntakeError(403, { code: 'forbidden', message })`) to refuse.
   */
  authorize?: (request: BackendRequest, context: Context) => BackendRequest | Promise<BackendRequest>;
  /** Called after a create or a complete was answered (to record the upload or asset id for this user). */
  onResult?: (request: BackendRequest, data: unknown, context: Context) => void | Promise<void>;
}

export interface HandlerAnswer {
  /** The HTTP status to answer with. */
  status: number;
  /** The JSON body: an Intake envelope (`{ data, error, meta }`). */
  body: { data: unknown; error: { code: string; message: string; details: Record<string, unknown> } | null; meta: Record<string, unknown> };
}

export type UploadHandler<Context> = (body: unknown, context: Context) => Promise<HandlerAnswer>;

/** The request body checked for shape (not for rights: that is `authorize`'s). */
export function parseBackendRequest(body: unknown): BackendRequest {
  const bad = (message: string, field: string) => new IntakeError(400, { code: 'invalid_request', message, details: { field } });
  if (!isRecord(body) || typeof body.action !== 'string' || !(BACKEND_ACTIONS as readonly string[]).includes(body.action)) {
    throw bad(`action must be one of ${BACKEND_ACTIONS.join(', ')}.`, 'action');
  }
  const needs = (field: string, test: (v: unknown) => boolean) => {
    if (!test(body[field])) throw bad(`${field} is missing or malformed.`, field);
  };
  const isId = (v: unknown) => typeof v === 'string' && /^[a-z]{3}_[a-z0-9]{1,40}$/.test(v);
  if (body.action === 'create' || body.action === 'complete') needs('body', isRecord);
  if (body.action === 'get_asset') needs('asset_id', isId);
  else if (body.action !== 'create') needs('upload_id', isId);
  if (body.action === 'sign_parts') needs('part_numbers', (v) => Array.isArray(v) && v.every((n) => Number.isInteger(n)));
  return body as unknown as BackendRequest;
}

function forward(backend: UploadBackend, request: BackendRequest): Promise<unknown> {
  switch (request.action) {
    case 'create':
      return backend.createUpload(request.body);
    case 'sign_parts':
      return backend.signParts(request.upload_id, request.part_numbers);
    case 'list_parts':
      return backend.listParts(request.upload_id);
    case 'complete':
      return backend.completeUpload(request.upload_id, request.body);
    case 'cancel':
      return backend.cancelUpload(request.upload_id).then(() => ({ upload_id: request.upload_id, status: 'canceled' }));
    case 'get_upload':
      return backend.getUpload(request.upload_id);
    case 'get_asset':
      return backend.getAsset(request.asset_id);
  }
}

function answerFor(err: unknown): HandlerAnswer {
  const meta = { timestamp: new Date().toISOString() };
  if (err instanceof IntakeError) {
    return { status: err.status, body: { data: null, error: { code: err.code, message: err.message, details: err.details }, meta: { ...meta, request_id: err.requestId } } };
  }
  if (err instanceof IntakeNetworkError) {
    return { status: 503, body: { data: null, error: { code: 'unavailable', message: 'Intake did not answer.', details: {} }, meta } };
  }
  throw err;
}

/** `createUploadHandler({ baseUrl, apiKey, authorize })` → `(body, context) => { status, body }`, to send as JSON. */
export function createUploadHandler<Context = undefined>(options: UploadHandlerOptions<Context>): UploadHandler<Context> {
  const backend = intakeBackend(options);
  return async (body, context) => {
    try {
      let request = parseBackendRequest(body);
      if (options.authorize) request = await options.authorize(request, context);
      const data = await forward(backend, request);
      await options.onResult?.(request, data, context);
      return { status: 200, body: { data, error: null, meta: { timestamp: new Date().toISOString() } } };
    } catch (err) {
      return answerFor(err);
    }
  };
}

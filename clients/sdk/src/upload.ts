/**
 * `upload(file, options)`: find a stored session for this file or create one, send the
 * bytes (one PUT, or parts in parallel), complete, and optionally wait for `ready`.
 * Every keyed step goes through `options.backend`; only signed URLs are called directly.
 */
import type { CompletedUpload, CreateUploadBody, UploadSession, UploadView } from './api-types.js';
import { IntakeError, UploadStoppedError } from './errors.js';
import { normaliseHash, sha256Hex } from './hash.js';
import { ProgressTracker } from './progress.js';
import { isRetryable, withRetry } from './retry.js';
import { sendParts } from './send-parts.js';
import { blobSource, isUploadSource, type NamedBlob, type UploadSource } from './source.js';
import { defaultStateStore, type StoredUpload, type UploadStateStore } from './state-store.js';
import { defaultTransport, putRange, type PutTransport } from './transfer.js';
import type { UploadOptions, UploadResult } from './upload-types.js';
import { waitForReady } from './wait-ready.js';

const MiB = 1024 * 1024;
/** The server makes sessions over 64 MiB resumable by default; the SDK follows it. */
const DEFAULT_RESUMABLE_THRESHOLD = 64 * MiB;
/** A stored session this close to expiry is not worth resuming. */
const EXPIRY_MARGIN_MS = 60_000;
const OPEN = new Set(['pending', 'uploading']);
const COMPLETING = new Set(['processing', 'storing', 'completed']);

interface Run {
  source: UploadSource;
  options: UploadOptions;
  store: UploadStateStore;
  key: string;
  transport: PutTransport;
  progress: ProgressTracker;
  /** Aborted by `signal` or `pauseSignal`: every request of the run stops. */
  signal: AbortSignal;
  uploadId: string | null;
}

export async function upload(file: Blob | NamedBlob | UploadSource, options: UploadOptions): Promise<UploadResult> {
  const source = isUploadSource(file) ? file : blobSource(file, options.filename);
  const stop = linkedController(options.signal, options.pauseSignal);
  const run: Run = {
    source,
    options,
    store: options.stateStore ?? defaultStateStore(),
    key: source.fingerprint,
    transport: options.transport ?? defaultTransport(options.fetch),
    progress: new ProgressTracker(source.size, options.onProgress),
    signal: stop.signal,
    uploadId: null,
  };
  try {
    return await uploadRun(run);
  } catch (err) {
    throw await stopped(run, err);
  } finally {
    stop.dispose();
  }
}

async function uploadRun(run: Run): Promise<UploadResult> {
  const { options, source } = run;
  if (source.size < 1) throw new TypeError('The file is empty: Intake stores files of 1 byte or more.');
  const found = options.resume === false ? undefined : await resumable(run);
  if (found) return sendAndComplete(run, found.stored, { resumed: true, completing: found.completing });

  const fileHash = await hashFor(run);
  const answer = await createSession(run, fileHash);
  if ('skipped_unique_key' in answer) {
    run.progress.finish();
    return { outcome: 'skipped', assetId: answer.asset_id, alias: answer.alias, answer };
  }
  run.uploadId = answer.upload_id;
  if (answer.is_duplicate) {
    run.progress.finish();
    const assetId = answer.asset_id!;
    const asset = options.waitForReady ? await waitFor(run, assetId) : null;
    return { outcome: 'duplicate', uploadId: answer.upload_id, assetId, duplicateOf: answer.duplicate_of, session: answer, asset };
  }
  const state = storedFrom(answer);
  await run.store.set(run.key, state);
  // Stored before stopping, so a pause during create still resumes this session (and a cancel cancels it).
  if (run.signal.aborted) throw run.signal.reason;
  return sendAndComplete(run, state, { resumed: false, completing: false, session: answer });
}

/** A stored session for this file that can still take bytes (or was being completed), else undefined; a dead one is forgotten. */
async function resumable(run: Run): Promise<{ stored: StoredUpload; completing: boolean } | undefined> {
  const stored = await run.store.get(run.key);
  if (!stored) return undefined;
  const fresh = stored.file_size === run.source.size && Date.parse(stored.expires_at) - Date.now() > EXPIRY_MARGIN_MS;
  let view: UploadView | undefined;
  if (fresh) {
    try {
      view = await withRetry(() => run.options.backend.getUpload(stored.upload_id, run.signal), run.options.retry, run.signal);
    } catch (err) {
      if (!(err instanceof IntakeError) || err.status !== 404) throw err;
    }
  }
  if (view && (OPEN.has(view.status) || COMPLETING.has(view.status))) {
    run.uploadId = stored.upload_id;
    return { stored, completing: COMPLETING.has(view.status) };
  }
  await run.store.delete(run.key);
  return undefined;
}

async function hashFor(run: Run): Promise<string | undefined> {
  const { sha256 } = run.options;
  if (typeof sha256 === 'string') return normaliseHash(sha256);
  if (!sha256) return undefined;
  return sha256Hex(run.source, { signal: run.signal, onProgress: run.options.onHashProgress });
}

async function createSession(run: Run, fileHash: string | undefined) {
  const { options, source } = run;
  const resumable = options.resumable ?? source.size > (options.resumableThreshold ?? DEFAULT_RESUMABLE_THRESHOLD);
  const body: CreateUploadBody = {
    ...options.fields,
    filename: options.filename ?? source.name,
    content_type: options.contentType || source.type || 'application/octet-stream',
    file_size: source.size,
    resumable,
    ...(fileHash ? { file_hash: fileHash } : {}),
    ...(resumable && options.partSize ? { part_size: options.partSize } : {}),
  };
  // Not aborted mid-way: a session created after the caller gave up would be left open and unknown.
  const answer = await withRetry(() => options.backend.createUpload(body), options.retry);
  run.uploadId = 'skipped_unique_key' in answer ? null : answer.upload_id;
  return answer;
}

function storedFrom(session: UploadSession): StoredUpload {
  return {
    upload_id: session.upload_id,
    file_size: session.file_size,
    expires_at: session.expires_at,
    part_size: session.parts?.part_size ?? null,
    part_count: session.parts?.count ?? null,
    upload_url: session.upload_url,
    upload_method: session.upload_method,
  };
}

interface SendPlan {
  resumed: boolean;
  /** A complete had started before (the process stopped while it ran): complete again, send nothing. */
  completing: boolean;
  /** The create answer, with the first part URLs already signed. */
  session?: UploadSession;
}

async function sendAndComplete(run: Run, state: StoredUpload, { resumed, completing, session }: SendPlan): Promise<UploadResult> {
  const { options, source } = run;
  let body: { parts?: { part_number: number; etag: string }[]; etag?: string } = {};
  if (!completing && state.part_size && state.part_count) {
    const held = resumed ? await withRetry(() => options.backend.listParts(state.upload_id, run.signal), options.retry, run.signal) : [];
    const parts = await sendParts({
      backend: options.backend, uploadId: state.upload_id, source, partSize: state.part_size, partCount: state.part_count,
      urls: session?.parts?.urls ?? [], held, parallel: options.parallel ?? 4, retry: options.retry ?? {}, transport: run.transport,
      progress: run.progress, signal: run.signal,
    });
    body = { parts };
  } else if (!completing) {
    if (!state.upload_url) throw new IntakeError(409, { code: 'conflict', message: 'The stored session has no upload URL.' });
    const target = { url: state.upload_url, headers: state.upload_method?.headers };
    const onSent = (bytes: number) => run.progress.sending(0, bytes);
    const etag = await withRetry(() => putRange(run.transport, target, source, 0, source.size, run.signal, onSent).finally(() => run.progress.dropped(0)), options.retry, run.signal);
    run.progress.acknowledge(0, source.size);
    if (etag) body = { etag };
  }
  const completed = await withRetry(() => options.backend.completeUpload(state.upload_id, body, run.signal), options.retry, run.signal);
  await run.store.delete(run.key);
  run.progress.finish();
  const assetId = completed.asset_id;
  const asset = options.waitForReady && assetId ? await waitFor(run, assetId) : completed.asset;
  return { outcome: 'uploaded', uploadId: state.upload_id, assetId, upload: completed, asset, resumed };
}

function waitFor(run: Run, assetId: string) {
  const wait = typeof run.options.waitForReady === 'object' ? run.options.waitForReady : {};
  return waitForReady(run.options.backend, assetId, { ...wait, retry: run.options.retry, signal: run.signal });
}

/** What to throw for `err`: the caller's pause or cancel as an UploadStoppedError (canceling on the server), else `err`. */
async function stopped(run: Run, err: unknown): Promise<unknown> {
  if (run.options.signal?.aborted) {
    if (run.uploadId) await cancelQuietly(run, run.uploadId);
    await run.store.delete(run.key);
    return new UploadStoppedError('canceled', run.uploadId, run.progress.sent);
  }
  if (run.options.pauseSignal?.aborted) return new UploadStoppedError('paused', run.uploadId, run.progress.sent);
  // The session cannot go on (gone, expired, failed verification): a new run starts afresh. A key
  // refused (401/403) may be fixed and the session still open, so it is kept for a later run to check.
  if (err instanceof IntakeError && !isRetryable(err) && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 403) {
    await run.store.delete(run.key);
  }
  return err;
}

async function cancelQuietly(run: Run, uploadId: string): Promise<void> {
  try {
    await withRetry(() => run.options.backend.cancelUpload(uploadId, AbortSignal.timeout(30_000)), { ...run.options.retry, retries: 2 });
  } catch (err) {
    // Already completed or failed: nothing open to cancel. Anything else is the caller's to see.
    if (!(err instanceof IntakeError && err.status === 409)) throw err;
  }
}

function linkedController(...signals: (AbortSignal | undefined)[]) {
  const controller = new AbortController();
  const listeners = signals.filter((s): s is AbortSignal => !!s).map((s) => {
    const onAbort = () => controller.abort(s.reason);
    if (s.aborted) onAbort();
    else s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return { signal: controller.signal, dispose: () => listeners.forEach((off) => off()) };
}

export type { CompletedUpload };

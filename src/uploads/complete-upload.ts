/**
 * POST /v1/uploads/{id}/complete: the bytes are there; verify them and create the asset.
 *
 * The session is claimed with a conditional update (pending → processing) before any
 * byte is read, so a double complete or a racing signed PUT cannot change what is being
 * verified (the PUT handler renames its bytes into place only while the session is open,
 * inside a transaction). A verification failure fails the session and deletes its bytes;
 * calling complete again answers the same. The claim is a short lease, renewed while the
 * verification runs (verification-lease.ts): if the process dies, a retried complete or a
 * worker takes the verification over within one lease period.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isUniqueViolation } from '../db/database.js';
import { NO_ASSET, type AssetRow, type UploadMedia, type UploadRow } from '../db/schema.js';
import type { Repositories } from '../db/repositories/index.js';
import { IntakeError, conflict, notFound, storedError, type ErrorDetails } from '../lib/errors.js';
import { newId, randomToken } from '../lib/ids.js';
import { holdingLease, leaseEnd, stillVerifying, takeOver } from './verification-lease.js';
import type { Tenant } from '../auth/principal.js';
import { expireIfDue } from './expire-uploads.js';
import { closeSession } from './close-session.js';
import type { AppContext } from '../core/context.js';
import { OPEN } from './status.js';
import { verifyObject, type Verified } from './verify-object.js';
import { isUntypedSession } from './check-type.js';
import { sizeLimit } from './limits.js';
import type { MediaKind } from '../config/config.js';
import { assetData, emitEvent, uploadData } from '../webhooks/events.js';
import { assembleParts, type ListedPart } from './parts/complete-parts.js';
import { learnListedSize } from './parts/learn-size.js';

/** What complete answers: the session and its asset (null for a `create_asset: false` session not yet attached). */
export interface Completed {
  upload: UploadRow;
  asset: AssetRow | null;
}

export interface CompleteInput {
  etag?: string;
  /** Resumable sessions: the parts to join; omitted, every part held. */
  parts?: ListedPart[];
}

export async function completeUpload(deps: AppContext, tenant: Tenant, id: string, body: CompleteInput = {}): Promise<Completed> {
  let upload = await deps.store.uploads.find(tenant.namespaceId, id);
  if (!upload) throw notFound('Upload');
  upload = await expireIfDue(deps, upload);
  upload = await learnListedSize(deps, upload, body.parts);
  const deadline = Date.now() + inFlightWaitMs(deps);
  for (let attempt = 0; attempt < 2; attempt++) {
    const waited = await awaitInFlight(deps, upload, deadline);
    if (waited.token) return verifyAndFinish(deps, waited.upload, body, waited.token);
    upload = waited.upload;
    const settled = await settledResult(deps, upload);
    if (settled) return settled;
    const token = randomToken(16);
    const claimed = await deps.store.uploads.transition(upload.id, OPEN, { status: 'processing', updated_at: deps.clock.now().toISOString(), lease_token: token, lease_until: leaseEnd(deps) });
    if (claimed) return verifyAndFinish(deps, { ...upload, status: 'processing' }, body, token);
    upload = (await deps.store.uploads.find(tenant.namespaceId, id))!;
  }
  throw conflict('The upload changed state while completing; try again.', { status: upload.status });
}

/** Outages tolerated per session before it fails as unverifiable (a file that hangs or crashes the tools). */
export const MAX_ATTEMPTS = 8;

/**
 * How long a complete waits for another complete of the same session to finish verifying:
 * long enough for a dead holder's lease to run out and be taken over.
 */
function inFlightWaitMs(deps: AppContext): number {
  return Math.max(20_000, 2 * deps.config.uploads.verifyLeaseMs);
}

/**
 * While another caller is verifying this session (`processing`, asset still pending),
 * waits for its outcome, so every concurrent complete gives the same answer; if that
 * caller's lease runs out meanwhile (it died), takes the verification over (a token).
 */
async function awaitInFlight(deps: AppContext, upload: UploadRow, deadline: number): Promise<{ upload: UploadRow; token: string | null }> {
  let current = upload;
  while (await stillVerifying(deps, current)) {
    const token = await takeOver(deps, current);
    if (token) return { upload: current, token };
    if (Date.now() >= deadline) break;
    await delay(25);
    current = (await deps.store.uploads.findById(current.id)) ?? current;
  }
  return { upload: current, token: null };
}

/** The answer for a session that is already past "open", or null if it is still open. */
async function settledResult(deps: AppContext, upload: UploadRow): Promise<Completed | null> {
  switch (upload.status) {
    case 'pending':
    case 'uploading':
      return null;
    case 'canceled':
      throw conflict('The upload was canceled.', { status: upload.status });
    case 'expired':
      throw new IntakeError('expired', 'The upload session expired before it was completed.', { status: upload.status });
    case 'failed':
      // The error it failed with: its verification's, or a later step's (processing_failed).
      throw storedError(upload.error_code, upload.error_message ?? 'The upload failed.', upload.error_details ? (JSON.parse(upload.error_details) as ErrorDetails) : {});
    default: {
      if (upload.asset_id === NO_ASSET) {
        if (upload.status === 'processing') {
          throw conflict('Another request is still verifying this upload; retry complete shortly.', { status: upload.status, reason: 'verifying' });
        }
        return { upload, asset: null };
      }
      const asset = await deps.store.assets.find(upload.namespace_id, upload.asset_id);
      // A completed session whose asset was deleted since: it is still completed.
      if (!asset) throw conflict('The asset of this upload has been deleted.', { status: upload.status });
      if (asset.status === 'pending') {
        throw conflict('Another request is still verifying this upload; retry complete shortly.', { status: upload.status, reason: 'verifying' });
      }
      return { upload, asset };
    }
  }
}

/** Verifies a session this caller holds the lease of (`token`), renewing it while the work runs. */
function verifyAndFinish(deps: AppContext, upload: UploadRow, body: CompleteInput, token: string): Promise<Completed> {
  return holdingLease(deps, upload.id, token, () => verifyHeld(deps, upload, body, token));
}

async function verifyHeld(deps: AppContext, upload: UploadRow, body: CompleteInput, token: string): Promise<Completed> {
  let verified: Verified;
  try {
    if (upload.resumable === 1) upload = await assembleParts(deps, upload, body.parts);
    // Bytes a URL was issued for move out of that URL's reach before they are read, so a
    // URL that is still valid can never change what was verified. Form and tus uploads had
    // none (Intake wrote their bytes itself, only while the session was open); a resumable
    // session's part URLs died with its multipart upload when the parts were joined.
    else if (upload.method !== 'form' && upload.method !== 'tus') upload = { ...upload, storage_key: await deps.storage.seal(upload.storage_key) };
    // A resumable session's parts carry the ETags; the joined object's is the store's own.
    verified = await verifyObject(deps, upload, { etag: upload.resumable === 1 ? undefined : body.etag, limitOf: (kind) => kindLimit(deps, upload, kind) });
  } catch (err) {
    if (err instanceof IntakeError && err.details.reason === 'no_bytes_yet') {
      // Completed too early: nothing to fail, the bytes can still come. Open again, as it was.
      await deps.store.uploads.finishLeased(upload.id, token, { status: 'pending', updated_at: deps.clock.now().toISOString() });
      throw err;
    }
    if (err instanceof IntakeError) {
      await closeSession(deps, upload, 'failed', ['processing'], err);
      throw err;
    }
    if (upload.attempts + 1 >= MAX_ATTEMPTS) {
      // The same bytes keep defeating the tools: stop holding quota for them.
      const gaveUp = new IntakeError('verification_failed', `The upload could not be verified after ${MAX_ATTEMPTS} attempts.`, { reason: 'unverifiable' });
      deps.log.error({ err, upload_id: upload.id }, 'verification gave up');
      await closeSession(deps, upload, 'failed', ['processing'], gaveUp);
      throw gaveUp;
    }
    // Storage or a tool failed, not the bytes: reopen so the client can retry complete.
    await deps.store.uploads.finishLeased(upload.id, token, {
      status: 'pending',
      attempts: upload.attempts + 1,
      updated_at: deps.clock.now().toISOString(),
    });
    deps.log.error({ err, upload_id: upload.id }, 'verification could not run');
    throw new IntakeError('unavailable', 'The upload could not be verified right now; its bytes are kept. Retry complete shortly.');
  }
  return finish(deps, upload, verified, token);
}

/** The size limit of `kind` in the upload's namespace, as it is now. */
async function kindLimit(deps: AppContext, upload: UploadRow, kind: MediaKind): Promise<number> {
  const namespace = await deps.store.namespaces.find(upload.namespace_id);
  if (!namespace) throw notFound('Namespace');
  return sizeLimit(deps, namespace, kind);
}

/**
 * What an untyped session becomes once its bytes are typed: its real type and kind, on the
 * session and its asset (a typed session keeps what it declared).
 */
function typedBy(upload: UploadRow, v: Verified): { content_type?: string; kind?: string } {
  return isUntypedSession(upload) ? { content_type: v.mimetype, kind: v.kind } : {};
}

/** Records the verified content: a new blob, or one more reference to the same bytes. */
async function finish(deps: AppContext, upload: UploadRow, v: Verified, token: string): Promise<Completed> {
  const now = deps.clock.now().toISOString();
  const detached = upload.asset_id === NO_ASSET;
  // A detached session is done once its bytes are verified; processing waits for its asset.
  const ready = detached || v.kind === 'image' || v.kind === 'document';
  const typed = typedBy(upload, v);
  let sharedWith: string | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      sharedWith = await deps.store.transaction(async (r) => {
        const found = await r.blobs.findByHash(upload.namespace_id, v.sha256);
        const existing = found && (await r.blobs.addRef(found.id)) ? found : undefined;
        let blobId: string;
        let storageKey: string;
        if (existing) {
          blobId = existing.id;
          storageKey = existing.storage_key;
        } else {
          blobId = newId('blb');
          storageKey = upload.storage_key;
          await r.blobs.insert({ id: blobId, namespace_id: upload.namespace_id, sha256: v.sha256, storage_key: storageKey, size: v.size, created_at: now });
        }
        // Known content found at complete: said on the session, as a shortcut at create says it.
        const original = existing && upload.skip_duplicates === 1 ? await r.uploads.firstWithContent(upload.namespace_id, v.sha256, upload.id) : undefined;
        const reserved = await r.uploads.takeReservation(upload.id);
        await r.namespaces.adjust(upload.namespace_id, { reserved: -reserved, stored: existing ? 0 : v.size });
        if (!detached) await r.assets.update(upload.namespace_id, upload.asset_id, {
          // Bytes of another kind than declared (audio alone in a video container) are recorded as what they are.
          kind: v.kind,
          blob_id: blobId,
          storage_key: storageKey,
          status: ready ? 'ready' : 'processing',
          mimetype: v.mimetype,
          width: v.width,
          height: v.height,
          duration: v.duration,
          fps: v.fps,
          bitrate: v.bitrate,
          filesize: v.size,
          sha256: v.sha256,
          updated_at: now,
        });
        const moved = await r.uploads.finishLeased(upload.id, token, {
          ...typed,
          kind: v.kind,
          storage_key: upload.storage_key,
          status: ready ? 'completed' : 'processing',
          progress: ready ? 100 : 0,
          received_size: v.size,
          received_sha256: v.sha256,
          completed_at: ready ? now : null,
          updated_at: now,
          ...(original ? { is_duplicate: 1, duplicate_of: original.id } : {}),
          ...(detached ? { blob_id: blobId, media: JSON.stringify(mediaOf(v)) } : {}),
        });
        // Someone else finished, closed or took over this session meanwhile: undo everything above.
        if (!moved) throw conflict('The upload changed state while completing; try again.', { reason: 'verifying' });
        await announce(deps, r, upload.id, upload.asset_id, upload.namespace_id, ready);
        return existing ? existing.storage_key : null;
      });
      break;
    } catch (err) {
      // Two sessions with the same new content raced to insert its blob: the loser shares it.
      if (attempt === 0 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
  if (sharedWith !== null && sharedWith !== upload.storage_key) {
    await deps.storage.delete(upload.storage_key).catch((err: unknown) => deps.log.warn({ err }, 'could not delete duplicate bytes'));
  }
  const fresh = await deps.store.uploads.find(upload.namespace_id, upload.id);
  const asset = detached ? null : await deps.store.assets.find(upload.namespace_id, upload.asset_id);
  return { upload: fresh!, asset: asset ?? null };
}


function mediaOf(v: Verified): UploadMedia {
  return { mimetype: v.mimetype, width: v.width, height: v.height, duration: v.duration, fps: v.fps, bitrate: v.bitrate };
}

/** In the completing transaction: renditions are queued, and a ready asset is announced. */
async function announce(deps: AppContext, r: Repositories, uploadId: string, assetId: string, namespaceId: string, ready: boolean): Promise<void> {
  // create_asset: false makes no asset: the upload completes; processing waits for POST /v1/assets.
  const asset = assetId === NO_ASSET ? undefined : await r.assets.find(namespaceId, assetId);
  if (asset && asset.kind !== 'document') await deps.jobs.enqueue(r, { name: 'asset.process', payload: { assetId } });
  if (!ready) return;
  await emitEvent(deps, r, namespaceId, 'upload.completed', uploadData((await r.uploads.findById(uploadId))!));
  if (asset) await emitEvent(deps, r, namespaceId, 'asset.ready', assetData(asset));
}

/**
 * POST …/complete with {"async": true}: claims the session and queues its verification in
 * one transaction, answering at once. A session that is not open answers as a synchronous
 * complete would (null: the caller does that). So does a complete that names what to check
 * (a parts list, an ETag): a job carries ids only, and must not verify something else.
 */
export async function completeUploadAsync(deps: AppContext, tenant: Tenant, id: string, body: CompleteInput = {}): Promise<UploadRow | null> {
  if (body.parts !== undefined || body.etag !== undefined) return null;
  let upload = await deps.store.uploads.find(tenant.namespaceId, id);
  if (!upload) throw notFound('Upload');
  upload = await expireIfDue(deps, upload);
  // Nothing sent yet: answered now, as a synchronous complete does (409 no_bytes_yet, the
  // session left open), not found out by a job the client would wait on.
  if (await nothingSentYet(deps, upload)) return null;
  const claimed = await deps.store.transaction(async (r) => {
    // No lease yet: the job takes it (a retried complete may too, and the job then finds it done).
    const now = deps.clock.now().toISOString();
    const moved = await r.uploads.transition(upload.id, OPEN, { status: 'processing', updated_at: now, lease_token: null, lease_until: now });
    if (moved) await deps.jobs.enqueue(r, { name: 'upload.verify', payload: { uploadId: upload.id } });
    return moved;
  });
  return claimed ? (await deps.store.uploads.findById(upload.id))! : null;
}

/**
 * An open session no byte has reached: no object (no part, for a resumable one). Only a
 * hint — the synchronous complete it leads to decides — so a store that does not answer
 * says "maybe" and the job goes ahead.
 */
async function nothingSentYet(deps: AppContext, upload: UploadRow): Promise<boolean> {
  if (!OPEN.includes(upload.status) || upload.method === 'form') return false;
  try {
    if (upload.multipart_id) return (await deps.storage.listParts(upload.storage_key, upload.multipart_id)).length === 0;
    return !(await deps.storage.head(upload.storage_key));
  } catch {
    return false;
  }
}

/**
 * The `upload.verify` job: verifies a session claimed by an async complete, or completes
 * an open one (form uploads). A verdict on the bytes settles the session and ends the
 * job; an outage is thrown so the queue retries with backoff.
 */
export async function runVerification(deps: AppContext, uploadId: string): Promise<void> {
  const upload = await deps.store.uploads.findById(uploadId);
  if (!upload) return;
  try {
    if (upload.status === 'processing') {
      // Asset still pending, or no asset at all (create_asset: false): not verified yet.
      if (!(await stillVerifying(deps, upload))) return;
      const token = await takeOver(deps, upload);
      // A live lease: another process is verifying it. Retried (with backoff) in case it dies.
      if (!token) throw new VerificationHeld(upload.id);
      await verifyAndFinish(deps, upload, {}, token);
      return;
    }
    if (upload.status === 'pending' || upload.status === 'uploading') await completeUpload(deps, { namespaceId: upload.namespace_id }, upload.id);
  } catch (err) {
    if (err instanceof IntakeError && err.code !== 'unavailable') return;
    throw err;
  }
}

/** The verify job found another process verifying the session: an outage of sorts, so the job is retried. */
class VerificationHeld extends Error {
  constructor(uploadId: string) {
    super(`upload ${uploadId} is being verified by another process; retried in case that process dies`);
    this.name = 'VerificationHeld';
  }
}

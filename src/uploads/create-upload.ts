/**
 * POST /v1/uploads (JSON): every check (type, kind, size, quota, alias, duplicate) runs
 * before anything is signed; quota and alias are kept by the database inside one
 * transaction, so two racing sessions cannot both take the last byte or the same alias.
 */
import type { MediaKind } from '../config/config.js';
import type { Repositories } from '../db/repositories/index.js';
import { NO_ASSET, type NamespaceRow, type UploadRow } from '../db/schema.js';
import { checkAlias, checkFilename, checkFolder, checkMetadata, checkTitle, mapAliasConflict, refuseTakenAlias, type Metadata } from '../assets/fields.js';
import { checkBucketTarget, type BucketTarget } from '../buckets/bucket-target.js';
import { isUniqueViolation } from '../db/database.js';
import { addSeconds } from '../lib/clock.js';
import { IntakeError, invalid } from '../lib/errors.js';
import { newId, uuidV7 } from '../lib/ids.js';
import { essence } from '../media/kinds.js';
import type { Tenant } from '../auth/principal.js';
import type { PresignedPost, PresignedPut } from '../storage/object-storage.js';
import { checkConditions, failedRules, type Conditions } from './conditions.js';
import { factsOf } from './verify-object.js';
import { allowedHint, allowedKinds, UNKNOWN_KIND, UNTYPED_SESSION_TYPE, type SessionKind } from './check-type.js';
import type { AppContext } from '../core/context.js';
import { originalKey, quotaExceeded, sizeLimit, tooLarge } from './limits.js';
import { uploadView, type UploadView } from './views.js';
import { isResumable, MAX_PART_SIZE, MIN_PART_SIZE } from './parts/plan.js';
import type { PartsView } from './parts/sign-parts.js';
import { resumableFields, startResumable } from './parts/start-resumable.js';

export interface CreateUploadInput {
  filename: string;
  content_type: string;
  /** Omitted (bare_form, single_url and store_put sessions only): learned from the bytes; quota is then reserved while they stream. */
  file_size?: number;
  /** With no file_size: the most bytes the session takes (at most its kind's limit). */
  max_size?: number;
  kind?: MediaKind;
  title?: string;
  folder?: string;
  alias?: string;
  metadata?: Record<string, unknown>;
  file_hash?: string;
  skip_duplicates?: boolean;
  expires_in?: number;
  resumable?: boolean;
  part_size?: number;
  method?: 'PUT' | 'POST';
  conditions?: Conditions;
  width?: number;
  height?: number;
  duration?: number;
  create_asset?: boolean;
  on_alias_conflict?: 'error' | 'skip';
  /** `tus`: the bytes come by tus PATCH requests, appended (src/http/tus/); no URL is signed. */
  protocol?: 'tus';
  /** tus creation-defer-length: file_size is ignored; the session holds (and reserves) its kind's limit until the length is declared. */
  defer_length?: boolean;
  /** false: the PUT URL needs no `If-None-Match: *` header (clients that send Content-Type only). */
  if_none_match?: boolean;
  /** true: upload_url is Intake's own store URL taking a form with only `file` (method POST). */
  bare_form?: boolean;
  /** The bucket the asset goes into (src/buckets/), the schema property the file fills and the type the client says it is. */
  bucket_id?: string;
  bucket_property?: string;
  bucket_type?: string;
  /** The client's tracking metadata for the session itself (the asset's is `metadata`). */
  upload_metadata?: Record<string, unknown>;
  /** true (resumable): every part goes to one store URL, indexed by `X-Upload-Index`, finished by POST `{parts}` to it (parts/store-parts.ts). */
  single_url?: boolean;
  /** true: the whole file is PUT to Intake's own store URL (store-put.ts), which streams it into storage on every driver. */
  store_put?: boolean;
}

/** What a session whose bytes will say may leave out: its name ("upload") and type (typed by its bytes). */
export function sessionDefaults(input: { filename?: string; content_type?: string }): { filename: string; content_type: string } {
  return { filename: input.filename ?? 'upload', content_type: input.content_type ?? UNTYPED_SESSION_TYPE };
}

/** A session whose size is learned from its bytes: file_size holds its cap until then. */
type SizedInput = CreateUploadInput & { file_size: number };

/**
 * `on_alias_conflict: "skip"` met an asset holding the alias, or the bucket already holds an
 * asset with the same unique-key values (alias then null): nothing signed, nothing reserved, no row.
 */
export interface SkippedUpload {
  skipped_unique_key: true;
  existing_asset_id: string;
  asset_id: string;
  alias: string | null;
  upload_id: null;
  upload_url: null;
  upload_method: null;
  next_step: string;
}

export interface CreatedUpload extends UploadView {
  provider: string;
  key: string;
  upload_url: string | null;
  upload_method: { method: 'PUT'; headers: Record<string, string> } | { method: 'POST'; content_type: 'multipart/form-data'; field_name: 'file'; fields: Record<string, string> } | null;
  parts: PartsView | null;
  expires_in: number;
  max_size: number;
  next_step: string;
}

/** The fields as checked; `K` is the session's kind (a JSON session declared untyped may not know it yet). */
export interface CheckedFields<K extends SessionKind = MediaKind> {
  filename: string;
  contentType: string;
  kind: K;
  title: string | null;
  folder: string;
  alias: string | null;
  metadata: Metadata;
  /** Set for a session into a bucket, once its checks passed. */
  bucket?: BucketTarget;
}

/** Checks shared by JSON sessions and form uploads: names, type, kind and asset fields. */
export function checkUploadFields(deps: AppContext, input: Omit<CreateUploadInput, 'file_size'>): CheckedFields {
  const contentType = essence(input.content_type);
  if (!deps.types.isAllowed(contentType)) {
    throw new IntakeError('unsupported_media_type', `Content type "${contentType}" is not allowed. ${allowedHint(deps.types)}`, { field: 'content_type', reason: 'type_not_allowed' });
  }
  const kind = deps.types.kindOf(contentType);
  if (input.kind && input.kind !== kind) throw invalid(`kind "${input.kind}" does not match content_type (a ${kind}).`, 'kind');
  return { ...checkAssetFields(input), contentType, kind };
}

/** The fields of a session besides its type. */
function checkAssetFields(input: Omit<CreateUploadInput, 'file_size'>): Omit<CheckedFields, 'contentType' | 'kind'> {
  return {
    filename: checkFilename(input.filename),
    title: checkTitle(input.title),
    folder: checkFolder(input.folder),
    alias: checkAlias(input.alias),
    metadata: checkMetadata(input.metadata),
  };
}

/**
 * A JSON session's fields. Declared `application/octet-stream` (what clients send for an
 * extension they do not know), the session is untyped: complete types it by its bytes, as
 * the form route does, within `kind` when one was sent.
 */
export function checkSessionFields(deps: AppContext, input: CreateUploadInput): CheckedFields<SessionKind> {
  if (essence(input.content_type) !== UNTYPED_SESSION_TYPE) return checkUploadFields(deps, input);
  if (input.kind && !allowedKinds(deps.types).includes(input.kind)) {
    throw new IntakeError('unsupported_media_type', `No ${input.kind} type is allowed. ${allowedHint(deps.types)}`, { field: 'kind', reason: 'type_not_allowed' });
  }
  return { ...checkAssetFields(input), contentType: UNTYPED_SESSION_TYPE, kind: input.kind ?? UNKNOWN_KIND };
}

/**
 * The largest file a session of `kind` may declare: an untyped one, the largest of the
 * limits of the kinds its bytes may turn out to be (complete holds them to their own).
 */
export function sessionSizeLimit(deps: AppContext, namespace: NamespaceRow, kind: SessionKind): { limit: number; kind: string } {
  if (kind !== UNKNOWN_KIND) return { limit: sizeLimit(deps, namespace, kind), kind };
  const limits = allowedKinds(deps.types).map((k) => sizeLimit(deps, namespace, k));
  return { limit: limits.length ? Math.max(...limits) : 0, kind: 'file of any allowed kind' };
}

export async function createUpload(
  deps: AppContext,
  tenant: Tenant,
  input: CreateUploadInput,
): Promise<{ duplicate: boolean; upload: CreatedUpload } | { skipped: SkippedUpload }> {
  const fields = checkSessionFields(deps, input);
  checkConditions(input.conditions);
  const deferred = input.file_size === undefined;
  if (deferred && !input.bare_form && !input.single_url && !input.store_put) throw invalid('file_size is required, except for bare_form, single_url and store_put sessions (their size is learned from the bytes).', 'file_size');
  if (!deferred && input.max_size !== undefined) throw invalid('max_size applies when file_size is left out.', 'max_size');
  if (input.single_url && input.resumable === false) throw invalid('single_url is a resumable upload; leave resumable out or send true.', 'resumable');
  if (input.single_url && (input.bare_form || input.part_size !== undefined || input.method === 'POST')) throw invalid('single_url sessions take parts of any size by PUT with X-Upload-Index: bare_form, part_size and method POST do not apply.', 'single_url');
  if (input.store_put && (input.bare_form || input.single_url || input.resumable || input.part_size !== undefined || input.method === 'POST' || input.protocol !== undefined)) {
    throw invalid('store_put sessions take the whole file by one PUT: bare_form, single_url, resumable, part_size, method POST and protocol do not apply.', 'store_put');
  }
  if (input.single_url) input = { ...input, resumable: true };
  return createSized(deps, tenant, fields, deferred, input);
}

async function createSized(
  deps: AppContext,
  tenant: Tenant,
  fields: CheckedFields<SessionKind>,
  deferred: boolean,
  asked: CreateUploadInput,
): Promise<{ duplicate: boolean; upload: CreatedUpload } | { skipped: SkippedUpload }> {
  // Until the bytes say, a deferred session's file_size is its cap (set below, once the limit is known).
  let input: SizedInput = { ...asked, file_size: asked.file_size ?? 0 };
  const detached = input.create_asset === false;
  if (detached) refuseAssetFields(input);
  checkMetadata(input.upload_metadata, 'upload_metadata');
  if (input.bucket_id !== undefined) fields.bucket = await checkBucketTarget(deps, tenant, { ...input, bucket_id: input.bucket_id, contentType: fields.contentType, createsAsset: !detached, metadata: fields.metadata });
  const tus = input.protocol === 'tus';
  if (tus && (input.resumable || input.method !== undefined || input.part_size !== undefined || input.bare_form || input.if_none_match !== undefined)) throw invalid('A tus session is sent with tus PATCH requests: resumable, method and part_size do not apply.', 'protocol');
  const resumable = !tus && !input.store_put && isResumable(input.file_size, input.resumable);
  if (!resumable && input.part_size !== undefined) throw invalid('part_size applies to resumable uploads only.', 'part_size');
  if (input.bare_form && input.method === 'PUT') throw invalid('bare_form is a form POST; leave method out or send POST.', 'method');
  if (input.bare_form) input = { ...input, method: 'POST' };
  if (resumable && input.method === 'POST') throw invalid('A resumable upload is sent in parts with PUT; method POST is for simple uploads (send resumable: false).', 'method');
  // Intake's own store URLs stream into storage by write(), which has no single-request limit.
  if (!resumable && !tus && !input.store_put && !input.bare_form && input.file_size > (deps.storage.maxSingleUpload ?? Infinity)) {
    throw invalid(`This store takes at most ${deps.storage.maxSingleUpload} bytes in one request; send resumable: true.`, 'resumable', { max_single_upload: deps.storage.maxSingleUpload });
  }
  const namespace = await namespaceOf(deps, tenant);
  const { limit, kind: limitKind } = sessionSizeLimit(deps, namespace, fields.kind);
  if (input.defer_length) input = { ...input, file_size: limit };
  if (deferred) input = { ...input, file_size: Math.min(limit, input.max_size ?? limit) };
  if (input.file_size > limit) throw tooLarge(input.file_size, limit, limitKind);

  const now = deps.clock.now();
  const expiresIn = input.expires_in ?? 3600;
  const skip = input.on_alias_conflict === 'skip';
  const keyHolder = await uniqueKeyHolder(deps, namespace.id, fields.bucket);
  if (keyHolder) return { skipped: keyHolder };
  if (skip) {
    const holder = await skippedFor(deps, namespace.id, fields.alias);
    if (holder) return { skipped: holder };
  } else {
    await refuseTakenAlias(deps, namespace.id, fields.alias);
  }
  // A detached session needs verified bytes of its own to attach later: no shortcut.
  // A tus client sends the bytes whatever the creation says; complete shares the stored blob instead.
  if (input.file_hash && input.skip_duplicates !== false && !detached && !tus) {
    const dup = await recordDuplicate(deps, namespace, fields, input, now, expiresIn, deferred);
    if (dup) return { duplicate: true, upload: await shape(deps, dup, null, input, limit, expiresIn) };
  }

  const uploadId = newId('upl');
  const assetId = detached ? NO_ASSET : newId('med');
  // Completed on baseRow's own fresh object, not copied: every session create builds one (35 columns).
  const row: UploadRow = Object.assign(baseRow(tenant.namespaceId, uploadId, assetId, fields, input, now, expiresIn), {
    status: 'pending' as const,
    method: tus ? ('tus' as const) : (input.method ?? 'PUT'),
    // A deferred session reserves quota as its bytes stream (form-quota.ts), not its cap now.
    reserved_bytes: deferred ? 0 : input.file_size,
    create_asset: detached ? 0 : 1,
  });
  let session = row;
  try {
    if (resumable) session = await startResumable(deps, row, input.part_size, (r) => insertSession(deps, namespace, r, fields, deferred));
    else await insertSession(deps, namespace, row, fields, deferred);
  } catch (err) {
    // Lost a race for the alias: the unique index decided; with skip that is an answer, not an error.
    const holder = skip && err instanceof IntakeError && err.code === 'conflict' ? await skippedFor(deps, namespace.id, fields.alias) : undefined;
    if (holder) return { skipped: holder };
    // Lost a race for the bucket's unique key: the same answer as when it was already taken.
    const keyRace = isUniqueViolation(err) ? await uniqueKeyHolder(deps, namespace.id, fields.bucket) : undefined;
    if (keyRace) return { skipped: keyRace };
    throw err;
  }
  if (input.single_url) return { duplicate: false, upload: { ...(await shape(deps, session, null, input, limit, expiresIn)), ...singleUrlFields(deps, session, deferred) } };
  if (resumable) return { duplicate: false, upload: { ...(await shape(deps, session, null, input, limit, expiresIn)), ...(await resumableFields(deps, session)) } };
  return { duplicate: false, upload: await shape(deps, row, tus ? 'tus' : (input.method ?? 'PUT'), input, limit, expiresIn, deferred) };
}

/**
 * The caller's namespace as it was authenticated: its settings (limits, quota) are at most
 * the key cache's TTL old (auth/key-cache.ts), its counters may be older. Use
 * currentNamespace for decisions on stored or reserved bytes.
 */
async function namespaceOf(deps: AppContext, tenant: Tenant): Promise<NamespaceRow> {
  return tenant.namespace ?? currentNamespace(deps, tenant);
}

/** The caller's namespace read now, counters included. */
export async function currentNamespace(deps: AppContext, tenant: Tenant): Promise<NamespaceRow> {
  const namespace = await deps.store.namespaces.find(tenant.namespaceId);
  if (!namespace) throw new IntakeError('unauthorized', 'The API key belongs to a namespace that no longer exists.');
  return namespace;
}

/** Quota reservation, pending asset (holding the alias) and session row (and a deferred size's marker), all or nothing. */
async function insertSession(deps: AppContext, namespace: NamespaceRow, row: UploadRow, fields: CheckedFields<SessionKind>, deferred = false): Promise<void> {
  await mapAliasConflict(fields, () =>
    deps.store.groupedTransaction(async (r) => {
      await insertSessionRows(r, namespace, row, fields);
      if (deferred) await r.transfers.insert({ upload_id: row.id, tus_metadata: null, length_deferred: 1, source_url: null, concat: null });
    }),
  );
}

/** The skip answer when an asset already holds `alias`, else undefined. */
async function skippedFor(deps: AppContext, namespaceId: string, alias: string | null): Promise<SkippedUpload | undefined> {
  const holder = alias ? await deps.store.assets.findByAlias(namespaceId, alias) : undefined;
  if (!holder || !alias) return undefined;
  return {
    skipped_unique_key: true,
    existing_asset_id: holder.id,
    asset_id: holder.id,
    alias,
    upload_id: null,
    upload_url: null,
    upload_method: null,
    next_step: `Nothing to send: asset ${holder.id} already holds the alias "${alias}".`,
  };
}

/** The skip answer when the bucket already holds an asset with the session's unique-key values, else undefined. */
async function uniqueKeyHolder(deps: AppContext, namespaceId: string, bucket: BucketTarget | undefined): Promise<SkippedUpload | undefined> {
  const holder = bucket?.uniqueKey ? await deps.store.assets.findByUniqueKey(namespaceId, bucket.bucketId, bucket.uniqueKey) : undefined;
  if (!holder) return undefined;
  return {
    skipped_unique_key: true,
    existing_asset_id: holder.id,
    asset_id: holder.id,
    alias: null,
    upload_id: null,
    upload_url: null,
    upload_method: null,
    next_step: `Nothing to send: asset ${holder.id} of bucket ${bucket!.bucketId} already has these unique-key values.`,
  };
}

/** A detached upload has no asset yet: its asset fields belong to POST /v1/assets. */
export function refuseAssetFields(input: { title?: unknown; folder?: unknown; alias?: unknown; metadata?: unknown }): void {
  for (const field of ['alias', 'title', 'folder', 'metadata'] as const) {
    if (input[field] !== undefined) throw invalid(`${field} belongs to the asset: with create_asset false, send it to POST /v1/assets.`, field);
  }
}

/** The rows of a new session, inside the caller's transaction. */
export async function insertSessionRows(r: Repositories, namespace: NamespaceRow, row: UploadRow, fields: CheckedFields<SessionKind>): Promise<void> {
  if (row.reserved_bytes > 0 && !(await r.namespaces.reserve(namespace.id, row.reserved_bytes))) {
    // The row the key was authenticated with may be seconds old (auth/key-cache.ts): report today's counters.
    throw quotaExceeded((await r.namespaces.find(namespace.id)) ?? namespace, row.reserved_bytes);
  }
  if (row.asset_id !== NO_ASSET) await r.assets.insert({
    id: row.asset_id,
    namespace_id: namespace.id,
    upload_id: row.id,
    blob_id: null,
    storage_key: null,
    filename: fields.filename,
    kind: fields.kind,
    mimetype: null,
    width: null,
    height: null,
    duration: null,
    fps: null,
    bitrate: null,
    filesize: null,
    sha256: null,
    title: fields.title,
    alias: fields.alias,
    folder: fields.folder,
    metadata: JSON.stringify(fields.metadata),
    status: 'pending',
    error_code: null,
    error_message: null,
    created_at: row.created_at,
    updated_at: row.created_at,
    bucket_id: fields.bucket?.bucketId ?? null,
    unique_key: fields.bucket?.uniqueKey ?? null,
  });
  await r.uploads.insert(row);
}

export function baseRow(
  namespaceId: string,
  uploadId: string,
  assetId: string,
  fields: CheckedFields<SessionKind>,
  input: Pick<SizedInput, 'file_size' | 'file_hash' | 'skip_duplicates' | 'conditions' | 'width' | 'height' | 'duration' | 'upload_metadata'>,
  now: Date,
  expiresIn: number,
): Omit<UploadRow, 'status' | 'method' | 'reserved_bytes'> {
  const hints = input.width ?? input.height ?? input.duration;
  return {
    id: uploadId,
    uuid: uuidV7(),
    namespace_id: namespaceId,
    asset_id: assetId,
    filename: fields.filename,
    content_type: fields.contentType,
    file_size: input.file_size,
    kind: fields.kind,
    storage_key: originalKey(namespaceId, uploadId),
    resumable: 0,
    part_size: null,
    file_hash: input.file_hash?.toLowerCase() ?? null,
    skip_duplicates: input.skip_duplicates === false ? 0 : 1,
    progress: 0,
    attempts: 0,
    error_code: null,
    error_message: null,
    error_details: null,
    conditions: input.conditions ? JSON.stringify(input.conditions) : null,
    hints: hints === undefined ? null : JSON.stringify({ width: input.width, height: input.height, duration: input.duration }),
    received_size: null,
    received_sha256: null,
    received_etag: null,
    multipart_id: null,
    lease_token: null,
    lease_until: null,
    is_duplicate: 0,
    duplicate_of: null,
    expires_at: addSeconds(now, expiresIn).toISOString(),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    completed_at: null,
    create_asset: 1,
    blob_id: null,
    media: null,
    bucket_id: fields.bucket?.bucketId ?? null,
    bucket_property: fields.bucket?.property ?? null,
    upload_metadata: input.upload_metadata ? JSON.stringify(input.upload_metadata) : null,
  };
}

/** When this namespace already holds verified content with `file_hash`: a completed session pointing at its asset. */
async function recordDuplicate(
  deps: AppContext,
  namespace: NamespaceRow,
  declared: CheckedFields<SessionKind>,
  asked: SizedInput,
  now: Date,
  expiresIn: number,
  deferred: boolean,
): Promise<UploadRow | null> {
  // Into a bucket: only an asset of that bucket can stand for the new one.
  const existing = await deps.store.assets.findByContent(namespace.id, asked.file_hash!.toLowerCase(), declared.bucket?.bucketId);
  // A hash that does not fit the declared size (or, none declared, the session's cap) and kind cannot be this content: upload and let complete decide.
  if (!existing || existing.filesize === null || (deferred ? existing.filesize > asked.file_size : existing.filesize !== asked.file_size)) return null;
  const input: SizedInput = { ...asked, file_size: existing.filesize };
  let fields = declared;
  if (declared.contentType === UNTYPED_SESSION_TYPE) {
    // Untyped: the stored content's type is known, and must still be allowed and fit its kind's limit.
    const kind = existing.kind as MediaKind;
    if (declared.kind !== UNKNOWN_KIND && declared.kind !== kind) return null;
    if (!existing.mimetype || !deps.types.isAllowed(existing.mimetype) || input.file_size > sizeLimit(deps, namespace, kind)) return null;
    fields = { ...declared, contentType: existing.mimetype, kind };
  } else if (existing.kind !== declared.kind) return null;
  // The stored content was probed already: its facts answer the conditions now.
  const failed = failedRules(input.conditions ?? null, factsOf(existing));
  if (failed.length) throw new IntakeError('conditions_not_met', 'The stored media with this hash does not meet the upload conditions.', { failed_rules: failed });
  const row: UploadRow = {
    ...baseRow(namespace.id, newId('upl'), existing.id, fields, input, now, expiresIn),
    storage_key: existing.storage_key ?? '',
    status: 'completed',
    method: input.method ?? 'PUT',
    reserved_bytes: 0,
    progress: 100,
    is_duplicate: 1,
    duplicate_of: existing.upload_id,
    received_size: existing.filesize,
    received_sha256: existing.sha256,
    completed_at: now.toISOString(),
  };
  await deps.store.uploads.insert(row);
  return row;
}

/** Where a session's store URL is served: a bare form's (POST) or a single_url session's (PUT parts, POST finish). */
export const STORE_PATHS = { POST: '/store/single', PUT: '/store/resumable' } as const;
/** A store_put session's URL: the whole file by PUT (its key is a PUT key, as a single_url session's). */
export const STORE_PUT_PATH = '/store/single';

/** Intake's own URL for the session at `path` (storage/store-urls.ts): the same key works under any path serving its method. */
export function storeUrl(deps: AppContext, row: Pick<UploadRow, 'id' | 'expires_at' | 'file_size'>, method: 'POST' | 'PUT' = 'POST', path: string = STORE_PATHS[method]): string {
  if (!deps.storeUrls) throw new IntakeError('unavailable', 'This process serves no store URLs.');
  return deps.storeUrls.url(path, { uploadId: row.id, method, expires: Math.floor(Date.parse(row.expires_at) / 1000), maxSize: row.file_size });
}

/** A single_url session's create answer: one URL for every part and the finish. */
function singleUrlFields(deps: AppContext, row: UploadRow, deferred: boolean) {
  return {
    upload_url: storeUrl(deps, row, 'PUT'),
    upload_method: { method: 'PUT' as const, headers: { 'X-Upload-Index': '<0-based part index>' } },
    parts: null,
    next_step: `PUT each part (any size up to ${MAX_PART_SIZE} bytes; every part but the last at least ${MIN_PART_SIZE}) to upload_url with its 0-based index in X-Upload-Index, in any order, then POST {"parts": [{"index", "etag"}, …]} to the same URL${deferred ? ' (the size is learned from the parts)' : ''}.`,
  };
}

async function shape(
  deps: AppContext,
  row: UploadRow,
  method: 'PUT' | 'POST' | 'tus' | null,
  input: SizedInput,
  limit: number,
  expiresIn: number,
  deferred = false,
): Promise<CreatedUpload> {
  const sign = { contentType: row.content_type, maxSize: row.file_size, expiresAt: new Date(row.expires_at), uploadId: row.id, sha256: row.file_hash ?? undefined, ifNoneMatch: input.if_none_match };
  let put: PresignedPut | null = null;
  let post: PresignedPost | null = null;
  if (method === 'PUT' && input.store_put) put = { url: storeUrl(deps, row, 'PUT', STORE_PUT_PATH), headers: { 'Content-Type': row.content_type } };
  else if (method === 'PUT') put = await deps.storage.presignPut(row.storage_key, sign);
  if (method === 'POST' && input.bare_form) post = { url: storeUrl(deps, row), fields: {} };
  else if (method === 'POST') post = await deps.storage.presignPost(row.storage_key, sign);
  const nextStep = method === 'tus'
    ? `Send the ${row.file_size} bytes with tus PATCH requests to upload_url (a tus client given it as its upload URL); Intake completes the upload when the last byte arrives.`
    : !method
    ? `Nothing to send: this content is already stored as asset ${row.asset_id}.`
    : row.asset_id === NO_ASSET
      ? `${method === 'PUT' ? 'PUT the bytes to upload_url' : 'POST the form to upload_url'}, POST /v1/uploads/${row.id}/complete, then attach it with POST /v1/assets.`
      : method === 'PUT' && deferred
        ? `PUT the file (at most ${row.file_size} bytes; its size is learned from the bytes) to upload_url, then POST /v1/uploads/${row.id}/complete.`
        : method === 'PUT'
        ? `PUT the ${row.file_size} bytes to upload_url with the headers in upload_method, then POST /v1/uploads/${row.id}/complete.`
        : input.bare_form
          ? `POST a multipart/form-data body with the file in "file" (nothing else is needed), then POST /v1/uploads/${row.id}/complete.`
          : `POST a multipart/form-data body with every entry of upload_method.fields and the file last in "file", then POST /v1/uploads/${row.id}/complete.`;
  // Completed on uploadView's own fresh object rather than copied into a new one (every session create).
  return Object.assign(uploadView(row), {
    provider: deps.storage.provider,
    key: row.storage_key,
    upload_url: put?.url ?? post?.url ?? null,
    upload_method: put
      ? { method: 'PUT' as const, headers: put.headers }
      : post
        ? { method: 'POST' as const, content_type: 'multipart/form-data' as const, field_name: 'file' as const, fields: post.fields }
        : null,
    parts: null,
    expires_in: expiresIn,
    max_size: Math.min(limit, input.file_size),
    next_step: nextStep,
  });
}

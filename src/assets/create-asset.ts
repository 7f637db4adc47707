/**
 * POST /v1/assets: one asset built from completed `create_asset: false` uploads (say a
 * video, its own poster and a transcript). The original's verified content becomes the
 * asset's; every other upload becomes a source under its label. Each upload is attached
 * by a conditional update inside one transaction, so an upload joins one asset only, a
 * racing attach or sweep loses cleanly, and a refusal changes nothing.
 */
import type { Tenant } from '../auth/principal.js';
import type { Repositories } from '../db/repositories/index.js';
import { NO_ASSET, type AssetRow, type UploadMedia, type UploadRow } from '../db/schema.js';
import { IntakeError, conflict, invalid } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { AppContext } from '../core/context.js';
import { checkBucketAsset, uniqueKeyTaken, type BucketTarget } from '../buckets/bucket-target.js';
import { isUniqueViolation } from '../db/database.js';
import { checkAlias, checkFolder, checkMetadata, checkTitle, mapAliasConflict, refuseTakenAlias } from './fields.js';

export interface NewAssetInput {
  uploads: Array<{ upload_id: string; label?: string }>;
  title?: string;
  alias?: string;
  folder?: string;
  metadata?: Record<string, unknown>;
  /** The bucket the asset goes into: every upload must have been made into it (src/buckets/). */
  bucket_id?: string;
}

/** How many uploads one asset may be built from. */
const MAX_ASSET_UPLOADS = 20;
const LABEL = /^[a-z0-9][a-z0-9_-]{0,39}$/;

type Deps = Pick<AppContext, 'store' | 'clock' | 'jobs'>;

export async function createAssetFromUploads(deps: Deps, tenant: Tenant, input: NewAssetInput): Promise<AssetRow> {
  const labels = labelsOf(input.uploads);
  const fields = {
    title: checkTitle(input.title),
    alias: checkAlias(input.alias),
    folder: checkFolder(input.folder),
    metadata: checkMetadata(input.metadata),
  };
  const uploads: UploadRow[] = [];
  for (const [i, item] of input.uploads.entries()) uploads.push(await attachable(deps, tenant, item.upload_id, `uploads[${i}].upload_id`));
  await refuseTakenAlias(deps, tenant.namespaceId, fields.alias);
  const bucket = input.bucket_id === undefined ? null : await checkBucketAsset(deps, tenant, input.bucket_id, fields.metadata, uploads.map((u, i) => ({ bucketId: u.bucket_id, property: u.bucket_property, contentType: mediaOf(u).mimetype, field: `uploads[${i}].upload_id` })));
  const keyHolder = bucket?.uniqueKey ? await deps.store.assets.findByUniqueKey(tenant.namespaceId, bucket.bucketId, bucket.uniqueKey) : undefined;
  if (keyHolder) throw uniqueKeyTaken(bucket!.bucketId, keyHolder.id);

  const originalAt = labels.indexOf('original');
  const original = uploads[originalAt]!;
  const assetId = newId('med');
  const now = deps.clock.now().toISOString();
  await mapAliasConflict(fields, () => mapKeyConflict(deps, tenant, bucket, () =>
    deps.store.transaction(async (r) => {
      for (const [i, upload] of uploads.entries()) {
        if (!(await r.uploads.attach(tenant.namespaceId, upload.id, assetId, now))) {
          throw conflict('This upload was attached to another asset (or removed) meanwhile.', { field: `uploads[${i}].upload_id`, reason: 'attached' });
        }
      }
      const media = mediaOf(original);
      const blob = await blobOf(r, original);
      await r.assets.insert({
        id: assetId,
        namespace_id: tenant.namespaceId,
        upload_id: original.id,
        blob_id: blob.id,
        storage_key: blob.storage_key,
        filename: original.filename,
        kind: original.kind,
        ...media,
        filesize: original.received_size,
        sha256: original.received_sha256,
        ...fields,
        metadata: JSON.stringify(fields.metadata),
        // Processing runs on the original: images and documents need none.
        status: original.kind === 'image' || original.kind === 'document' ? 'ready' : 'processing',
        error_code: null,
        error_message: null,
        created_at: now,
        updated_at: now,
        bucket_id: bucket?.bucketId ?? null,
        unique_key: bucket?.uniqueKey ?? null,
      });
      for (const [i, upload] of uploads.entries()) {
        if (i === originalAt) continue;
        const m = mediaOf(upload);
        const b = await blobOf(r, upload);
        await r.assets.insertSource({
          id: newId('src'),
          asset_id: assetId,
          namespace_id: tenant.namespaceId,
          label: labels[i]!,
          mimetype: m.mimetype,
          width: m.width,
          height: m.height,
          duration: m.duration,
          bitrate: m.bitrate,
          filesize: upload.received_size ?? b.size,
          storage_key: b.storage_key,
          blob_id: b.id,
          created_at: now,
        });
      }
      // Renditions of the original, committed with the asset.
      if (original.kind !== 'document') await deps.jobs.enqueue(r, { name: 'asset.process', payload: { assetId } });
    }),
  ));
  return (await deps.store.assets.find(tenant.namespaceId, assetId))!;
}

/** Runs `fn`, turning a lost race for the bucket's unique key into the 409 it would have met first. */
async function mapKeyConflict<T>(deps: Deps, tenant: Tenant, bucket: BucketTarget | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const holder = bucket?.uniqueKey && isUniqueViolation(err) ? await deps.store.assets.findByUniqueKey(tenant.namespaceId, bucket.bucketId, bucket.uniqueKey) : undefined;
    if (holder) throw uniqueKeyTaken(bucket!.bucketId, holder.id);
    throw err;
  }
}

/**
 * Each upload's label: the one labelled `original` is the original, else the first
 * upload (which then must carry no other label); every other upload needs a label.
 */
function labelsOf(items: NewAssetInput['uploads']): string[] {
  if (items.length < 1 || items.length > MAX_ASSET_UPLOADS) throw invalid(`uploads must list 1–${MAX_ASSET_UPLOADS} uploads.`, 'uploads');
  const hasOriginal = items.some((u) => u.label === 'original');
  const labels = items.map((u, i) => {
    if (u.label === undefined && i === 0 && !hasOriginal) return 'original';
    if (u.label === undefined) throw invalid('Every upload but the original needs a label (e.g. "poster", "transcript").', `uploads[${i}].label`);
    if (!LABEL.test(u.label)) throw invalid('A label is 1–40 lower-case letters, digits, "_" or "-".', `uploads[${i}].label`);
    return u.label;
  });
  if (!labels.includes('original')) throw invalid('One upload must be the original: leave the first unlabelled or label one "original".', 'uploads[0].label');
  labels.forEach((label, i) => {
    if (labels.indexOf(label) !== i) throw invalid(`The label "${label}" is used twice.`, `uploads[${i}].label`);
    if (items.findIndex((u) => u.upload_id === items[i]!.upload_id) !== i) throw invalid('The same upload is listed twice.', `uploads[${i}].upload_id`);
  });
  return labels;
}

/** A completed `create_asset: false` upload of this namespace not attached yet, or the contract's error. */
async function attachable(deps: Deps, tenant: Tenant, id: string, field: string): Promise<UploadRow> {
  const upload = await deps.store.uploads.find(tenant.namespaceId, id);
  if (!upload) throw new IntakeError('not_found', 'Upload not found.', { field });
  if (upload.create_asset === 1) {
    throw conflict('This upload made its own asset; only uploads created with create_asset: false can be attached.', { field, reason: 'has_asset', asset_id: upload.asset_id });
  }
  if (upload.asset_id !== NO_ASSET) throw conflict('This upload is already attached to an asset.', { field, reason: 'attached', asset_id: upload.asset_id });
  if (upload.status !== 'completed' || !upload.blob_id) {
    throw conflict(`The upload is ${upload.status}; only completed uploads can be attached.`, { field, status: upload.status });
  }
  return upload;
}

function mediaOf(upload: UploadRow): UploadMedia {
  const m = upload.media ? (JSON.parse(upload.media) as UploadMedia) : null;
  return {
    mimetype: m?.mimetype ?? upload.content_type,
    width: m?.width ?? null,
    height: m?.height ?? null,
    duration: m?.duration ?? null,
    fps: m?.fps ?? null,
    bitrate: m?.bitrate ?? null,
  };
}

async function blobOf(r: Repositories, upload: UploadRow) {
  const blob = upload.blob_id ? await r.blobs.find(upload.blob_id) : undefined;
  // The blob is held by this upload's reference until the sweeper releases it with the row.
  if (!blob) throw conflict('The upload’s bytes are no longer stored.', { reason: 'gone' });
  return blob;
}

/** Reading, editing and deleting media assets, always inside the caller's namespace. */
import type { Tenant } from '../auth/principal.js';
import { decodeCursor, toPage } from '../db/repositories/index.js';
import type { AssetFilter } from '../db/repositories/assets.js';
import type { AssetPatch, AssetRow } from '../db/schema.js';
import { conflict, invalid, notFound } from '../lib/errors.js';
import type { AppContext } from '../core/context.js';
import { checkAlias, checkFolder, checkMetadata, checkTitle, mapAliasConflict } from './fields.js';
import { assetView, type AssetView } from './views.js';
import { assetData, emitEvent } from '../webhooks/events.js';

/**
 * The asset as clients see it, its links living `expiresIn` seconds: the configured default
 * when the caller did not choose, and never past the configured maximum (400 beyond it).
 */
export async function showAsset(deps: Pick<AppContext, 'store' | 'storage' | 'clock' | 'config' | 'tokens'>, row: AssetRow, expiresIn?: number): Promise<AssetView> {
  return assetView(row, await deps.store.assets.listSources(row.id), deps.storage, deps.clock, linkLifetime(deps, expiresIn), deps.tokens);
}

/** A signed link's lifetime in seconds: the caller's choice within the configured bound, else the default. */
export function linkLifetime(deps: Pick<AppContext, 'config'>, expiresIn: number | undefined): number {
  if (expiresIn === undefined) return deps.config.delivery.linkSeconds;
  const max = deps.config.delivery.maxLinkSeconds;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > max) throw invalid(`expires_in must be a whole number of seconds from 1 to ${max}.`, 'expires_in');
  return expiresIn;
}

/** The asset holding `alias` in the caller's namespace (404 otherwise). */
export async function getAssetByAlias(deps: Pick<AppContext, 'store'>, namespaceId: string, alias: string): Promise<AssetRow> {
  const row = await deps.store.assets.findByAlias(namespaceId, alias);
  if (!row) throw notFound('Asset');
  return row;
}

export async function getAsset(deps: Pick<AppContext, 'store'>, tenant: Tenant, id: string): Promise<AssetRow> {
  const row = await deps.store.assets.find(tenant.namespaceId, id);
  if (!row) throw notFound('Asset');
  return row;
}

export async function listAssets(
  deps: Pick<AppContext, 'store'>,
  tenant: Tenant,
  q: AssetFilter & { limit?: number; cursor?: string },
): Promise<{ items: AssetRow[]; nextCursor: string | null }> {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
  return toPage(await deps.store.assets.list(tenant.namespaceId, { folder: q.folder, kind: q.kind, status: q.status }, { limit: limit + 1, after }), limit);
}

export interface AssetEdit {
  title?: string | null;
  metadata?: Record<string, unknown>;
  alias?: string | null;
  folder?: string;
}

export async function patchAsset(deps: Pick<AppContext, 'store' | 'clock'>, tenant: Tenant, id: string, edit: AssetEdit): Promise<AssetRow> {
  await getAsset(deps, tenant, id);
  const patch: AssetPatch = { updated_at: deps.clock.now().toISOString() };
  if (edit.title !== undefined) patch.title = checkTitle(edit.title);
  if (edit.metadata !== undefined) patch.metadata = JSON.stringify(checkMetadata(edit.metadata));
  if (edit.alias !== undefined) patch.alias = checkAlias(edit.alias);
  if (edit.folder !== undefined) patch.folder = checkFolder(edit.folder);
  await mapAliasConflict({ alias: patch.alias ?? null }, () => deps.store.assets.update(tenant.namespaceId, id, patch));
  return getAsset(deps, tenant, id);
}

/**
 * Removes the record, its renditions and, when no other asset shares them, the original
 * bytes. Bytes leave storage after the rows are gone, so no reader is handed a dead link.
 */
export async function deleteAsset(deps: Pick<AppContext, 'store' | 'storage' | 'log' | 'jobs' | 'clock'>, tenant: Tenant, id: string): Promise<AssetRow> {
  const asset = await getAsset(deps, tenant, id);
  if (asset.status === 'pending') {
    throw conflict('The asset is still waiting for its upload; cancel the upload instead.', { status: asset.status, upload_id: asset.upload_id });
  }
  // During a storage outage, refuse before any row changes (503) rather than strand bytes.
  await deps.storage.ping();
  const { lastKeys, renditionKeys } = await deps.store.transaction(async (r) => {
    const sources = await r.assets.listSources(asset.id);
    await r.assets.deleteSources(asset.id);
    if (!(await r.assets.delete(tenant.namespaceId, asset.id))) throw notFound('Asset');
    // The original and any source attached from an upload hold a blob reference; renditions hold their bytes alone.
    const lastKeys: string[] = [];
    for (const blobId of [asset.blob_id, ...sources.map((s) => s.blob_id)]) {
      const gone = blobId ? await r.blobs.release(blobId) : undefined;
      if (gone) {
        await r.namespaces.adjust(tenant.namespaceId, { stored: -gone.size });
        lastKeys.push(gone.storage_key);
      }
    }
    // Renditions hold their bytes alone, counted in stored_bytes when they were recorded.
    // Transforms made on demand too (their files sit under the asset's prefix, removed below).
    const renditionBytes = sources.reduce((sum, s) => sum + (s.blob_id ? 0 : (s.filesize ?? 0)), 0) + (await r.derivatives.deleteForAsset(asset.id));
    if (renditionBytes) await r.namespaces.adjust(tenant.namespaceId, { stored: -renditionBytes });
    await emitEvent(deps, r, tenant.namespaceId, 'asset.deleted', assetData(asset));
    return { lastKeys, renditionKeys: sources.filter((s) => !s.blob_id).map((s) => s.storage_key) };
  });
  const keys = [...lastKeys, ...renditionKeys];
  try {
    await deps.storage.deleteMany(keys);
    await deps.storage.deletePrefix(`${tenant.namespaceId}/${asset.id}`);
  } catch (err) {
    // The rows are gone: what is left in storage is unreferenced, and reconciliation removes it.
    deps.log.warn({ err, asset_id: asset.id }, 'could not delete asset bytes');
  }
  return asset;
}

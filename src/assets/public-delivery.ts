/**
 * GET /p/{namespace_id}/{alias}[/{label}] without a key, for namespaces that opted in
 * with `public_delivery: true`: a redirect to a freshly signed delivery link. Every miss
 * (namespace not public, unknown alias or label, media not stored yet) is the same 404,
 * so the route reveals nothing about namespaces that did not opt in.
 */
import type { AssetRow, SourceRow } from '../db/schema.js';
import { addSeconds } from '../lib/clock.js';
import { notFound } from '../lib/errors.js';
import { dispositionFor } from '../media/kinds.js';
import type { AppContext } from '../core/context.js';
import { FOLDER_SOURCES } from './rendition-folders.js';
import { renditionFilename } from './views.js';

type Deps = Pick<AppContext, 'store' | 'storage' | 'clock' | 'config'>;

export async function publicDeliveryUrl(deps: Deps, namespaceId: string, alias: string, label?: string): Promise<string> {
  const namespace = await deps.store.namespaces.find(namespaceId);
  if (!namespace || namespace.public_delivery !== 1) throw notFound('Asset');
  const asset = await deps.store.assets.findByAlias(namespaceId, alias);
  if (!asset) throw notFound('Asset');
  return deliveryUrl(deps, asset, label);
}

/** Without a key, by media id: only for namespaces with public_delivery (every miss the same 404). */
export async function publicDeliveryById(deps: Deps, assetId: string, label?: string): Promise<string> {
  const asset = await deps.store.assets.findById(assetId);
  const namespace = asset && (await deps.store.namespaces.find(asset.namespace_id));
  if (!asset || !namespace || namespace.public_delivery !== 1) throw notFound('Asset');
  return deliveryUrl(deps, asset, label);
}

/**
 * A freshly signed link to the asset's source labelled `label` ("original": the file as
 * uploaded), or by default its best one (a video's tallest rendition, else the original).
 */
export async function deliveryUrl(deps: Deps, asset: AssetRow, label?: string): Promise<string> {
  if (!asset.storage_key || !asset.mimetype || asset.status === 'pending' || asset.status === 'failed') throw notFound('Asset');
  const sources = await deps.store.assets.listSources(asset.id);
  const chosen = label === undefined ? defaultSource(asset.kind, sources) : label === 'original' ? null : sources.find((s) => s.label === label && !(FOLDER_SOURCES as readonly string[]).includes(s.label));
  if (chosen === undefined) throw notFound('Source');
  const key = chosen ? chosen.storage_key : asset.storage_key;
  const mimetype = chosen ? chosen.mimetype : asset.mimetype;
  const filename = chosen ? renditionFilename(chosen.label, asset.filename, chosen.storage_key) : asset.filename;
  return deps.storage.presignGet(key, {
    expiresAt: addSeconds(deps.clock.now(), deps.config.delivery.linkSeconds),
    contentType: mimetype,
    filename,
    disposition: dispositionFor(mimetype),
  });
}

/**
 * The best rendition of a video (the tallest video rendition), else the original (null).
 * Sources attached from uploads (they hold a blob) are the client's own files, not renditions.
 */
function defaultSource(kind: string, sources: SourceRow[]): SourceRow | null {
  if (kind !== 'video') return null;
  const videos = sources.filter((s) => !s.blob_id && s.mimetype.startsWith('video/') && s.height !== null);
  return videos.sort((a, b) => (b.height ?? 0) - (a.height ?? 0))[0] ?? null;
}

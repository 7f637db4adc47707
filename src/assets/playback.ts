/**
 * HLS playback without the API key: `/hls/{asset}/{expires}.{sig}/master.m3u8`. The
 * playlists' URIs are relative, so every rung playlist, init segment and media segment a
 * player asks for sits under the same token and stops working with it (403). Public
 * namespaces also get `/p/{ns}/{alias}/hls/master.m3u8`: a redirect to a fresh token.
 */
import type { Readable } from 'node:stream';
import type { AssetRow } from '../db/schema.js';
import { addSeconds } from '../lib/clock.js';
import { forbidden, notFound } from '../lib/errors.js';
import type { PathTokens } from '../lib/path-token.js';
import type { AppContext } from '../core/context.js';
import { HLS_MIMETYPE } from './process-asset.js';

/** A file of an asset's HLS folder: init and media segments, rung and audio playlists, the master. */
const HLS_PATH = /^(?:master\.m3u8|[a-z0-9]{1,16}\/(?:index\.m3u8|init\.mp4|seg\d{5}\.m4s))$/;

const TYPES: Record<string, string> = { m3u8: HLS_MIMETYPE, m4s: 'video/iso.segment', mp4: 'video/mp4' };

/** The signed master playlist URL of an asset that has HLS, living until `expiresAt`. */
export function hlsUrl(tokens: PathTokens, assetId: string, expiresAt: Date): string {
  return `${tokens.baseUrl}/hls/${assetId}/${tokens.token(`hls:${assetId}`, expiresAt)}/master.m3u8`;
}

export interface HlsFile {
  body: Readable;
  size: number;
  mimetype: string;
  /** Seconds the token has left: what a cache may keep it for. */
  maxAge: number;
}

/** One file of the HLS folder, if the token opens this asset's and is still valid. */
export async function readHlsFile(deps: Pick<AppContext, 'store' | 'storage' | 'clock'>, tokens: PathTokens, assetId: string, token: string, file: string): Promise<HlsFile> {
  const verdict = tokens.verify(`hls:${assetId}`, token, deps.clock.now().getTime());
  if (verdict === 'bad_signature') throw forbidden('This playback URL is not one this API signed.', { reason: 'bad_signature' });
  if (verdict === 'expired') throw forbidden('This playback URL has expired.', { reason: 'link_expired' });
  if (!HLS_PATH.test(file)) throw notFound('File');
  const asset = await deps.store.assets.findById(assetId);
  if (!asset || !(await hasHls(deps, asset))) throw notFound('Asset');
  const key = `${asset.namespace_id}/${asset.id}/hls/${file}`;
  const info = await deps.storage.head(key);
  if (!info) throw notFound('File');
  const expires = Number(token.split('.')[0]);
  return { body: await deps.storage.read(key), size: info.size, mimetype: TYPES[file.split('.').pop()!]!, maxAge: Math.max(0, expires - Math.floor(deps.clock.now().getTime() / 1000)) };
}

async function hasHls(deps: Pick<AppContext, 'store'>, asset: AssetRow): Promise<boolean> {
  return (await deps.store.assets.listSources(asset.id)).some((s) => s.label === 'hls' && !s.blob_id);
}

/** GET /p/{ns}/{alias}/hls/master.m3u8: a fresh signed master URL of a public namespace's video. */
export async function publicHlsUrl(deps: Pick<AppContext, 'store' | 'clock' | 'config'>, tokens: PathTokens, namespaceId: string, alias: string): Promise<string> {
  const namespace = await deps.store.namespaces.find(namespaceId);
  if (!namespace || namespace.public_delivery !== 1) throw notFound('Asset');
  const asset = await deps.store.assets.findByAlias(namespaceId, alias);
  if (!asset || asset.status !== 'ready' || !(await hasHls(deps, asset))) throw notFound('Asset');
  return hlsUrl(tokens, asset.id, addSeconds(deps.clock.now(), deps.config.delivery.linkSeconds));
}

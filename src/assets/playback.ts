/**
 * Playback without the API key: a video's HLS folder under `/hls/{asset}/{expires}.{sig}/`
 * and its storyboard under `/storyboard/{asset}/{expires}.{sig}/`. Playlists and the VTT
 * name their files relatively, so every rung playlist, segment and sprite a player asks for
 * sits under the same token and stops working with it (403). Public namespaces also get
 * `/p/{ns}/{alias}/hls/master.m3u8`: a redirect to a fresh token.
 */
import type { Readable } from 'node:stream';
import type { AssetRow } from '../db/schema.js';
import { addSeconds } from '../lib/clock.js';
import { forbidden, notFound } from '../lib/errors.js';
import type { PathTokens } from '../lib/path-token.js';
import type { AppContext } from '../core/context.js';
import { FOLDER_FILE_TYPES, type FolderSource } from './rendition-folders.js';

/** The files a folder may hold: HLS init and media segments, rung and audio playlists, the master; the storyboard's VTT and sprite. */
const FILES: Record<FolderSource, RegExp> = {
  hls: /^(?:master\.m3u8|[a-z0-9]{1,16}\/(?:index\.m3u8|init\.mp4|seg\d{5}\.m4s))$/,
  storyboard: /^(?:storyboard\.vtt|sprite\.jpg)$/,
};

const TYPES: Record<string, string> = { ...FOLDER_FILE_TYPES, vtt: `${FOLDER_FILE_TYPES.vtt}; charset=utf-8` };

/** The signed URL of `file` in an asset's folder, living until `expiresAt`. */
function folderUrl(tokens: PathTokens, folder: FolderSource, assetId: string, expiresAt: Date, file: string): string {
  return `${tokens.baseUrl}/${folder}/${assetId}/${tokens.token(`${folder}:${assetId}`, expiresAt)}/${file}`;
}

/** The signed master playlist URL of an asset that has HLS, living until `expiresAt`. */
export function hlsUrl(tokens: PathTokens, assetId: string, expiresAt: Date): string {
  return folderUrl(tokens, 'hls', assetId, expiresAt, 'master.m3u8');
}

/** The signed storyboard VTT and sprite of an asset that has one; the VTT's tiles point at that same sprite URL. */
export function storyboardUrls(tokens: PathTokens, assetId: string, expiresAt: Date): { vtt: string; image: string } {
  return { vtt: folderUrl(tokens, 'storyboard', assetId, expiresAt, 'storyboard.vtt'), image: folderUrl(tokens, 'storyboard', assetId, expiresAt, 'sprite.jpg') };
}

export interface PlaybackFile {
  body: Readable;
  size: number;
  mimetype: string;
  /** Seconds the token has left: what a cache may keep it for. */
  maxAge: number;
}

/** One file of an asset's folder, if the token opens this asset's folder and is still valid. */
export async function readPlaybackFile(deps: Pick<AppContext, 'store' | 'storage' | 'clock'>, tokens: PathTokens, folder: FolderSource, assetId: string, token: string, file: string): Promise<PlaybackFile> {
  const verdict = tokens.verify(`${folder}:${assetId}`, token, deps.clock.now().getTime());
  if (verdict === 'bad_signature') throw forbidden('This playback URL is not one this API signed.', { reason: 'bad_signature' });
  if (verdict === 'expired') throw forbidden('This playback URL has expired.', { reason: 'link_expired' });
  if (!FILES[folder].test(file)) throw notFound('File');
  const asset = await deps.store.assets.findById(assetId);
  if (!asset || !(await hasFolder(deps, asset, folder))) throw notFound('Asset');
  const key = `${asset.namespace_id}/${asset.id}/${folder}/${file}`;
  const info = await deps.storage.head(key);
  if (!info) throw notFound('File');
  const expires = Number(token.split('.')[0]);
  return { body: await deps.storage.read(key), size: info.size, mimetype: TYPES[file.split('.').pop()!]!, maxAge: Math.max(0, expires - Math.floor(deps.clock.now().getTime() / 1000)) };
}

async function hasFolder(deps: Pick<AppContext, 'store'>, asset: AssetRow, folder: FolderSource): Promise<boolean> {
  return (await deps.store.assets.listSources(asset.id)).some((s) => s.label === folder && !s.blob_id);
}

/** GET /p/{ns}/{alias}/hls/master.m3u8: a fresh signed master URL of a public namespace's video. */
export async function publicHlsUrl(deps: Pick<AppContext, 'store' | 'clock' | 'config'>, tokens: PathTokens, namespaceId: string, alias: string): Promise<string> {
  const namespace = await deps.store.namespaces.find(namespaceId);
  if (!namespace || namespace.public_delivery !== 1) throw notFound('Asset');
  const asset = await deps.store.assets.findByAlias(namespaceId, alias);
  if (!asset || asset.status !== 'ready' || !(await hasFolder(deps, asset, 'hls'))) throw notFound('Asset');
  return hlsUrl(tokens, asset.id, addSeconds(deps.clock.now(), deps.config.delivery.linkSeconds));
}

/**
 * Renditions made of many files: a video's HLS folder (master playlist, a folder per rung,
 * audio/) and its storyboard (VTT and sprite). Each is stored under `<ns>/<asset>/<label>/`
 * and recorded as one source row: its main file's key, every file's bytes (so the quota and
 * delete see it whole). Served under signed paths (playback.ts), never as one download.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AssetRow } from '../db/schema.js';
import { filesUnder } from '../media/hls.js';
import type { AppContext } from '../core/context.js';

/** The labels of the sources that stand for a folder. */
export const FOLDER_SOURCES = ['hls', 'storyboard'] as const;
export type FolderSource = (typeof FOLDER_SOURCES)[number];

/** The HLS source's mimetype; its storage key is the master playlist's, its size every file's. */
export const HLS_MIMETYPE = 'application/vnd.apple.mpegurl';
/** The storyboard source's mimetype: its key is the VTT's, its size the VTT's and the sprite's. */
export const STORYBOARD_MIMETYPE = 'text/vtt';

/** The content type of each file a folder holds, by extension. */
export const FOLDER_FILE_TYPES: Record<string, string> = { m3u8: HLS_MIMETYPE, m4s: 'video/iso.segment', mp4: 'video/mp4', vtt: STORYBOARD_MIMETYPE, jpg: 'image/jpeg' };

/** A folder the job made in its scratch space. */
export interface Folder {
  label: FolderSource;
  dir: string;
  /** The file the source row's key names (the master playlist, the VTT). */
  main: string;
  mimetype: string;
}

/**
 * Writes a folder's files under `<ns>/<asset>/<label>/` (fixed keys: a retry overwrites) and
 * returns the one source that stands for them: the main file's key, every file's bytes.
 */
export async function storeFolder(deps: Pick<AppContext, 'storage'>, asset: AssetRow, folder: Folder) {
  const prefix = `${asset.namespace_id}/${asset.id}/${folder.label}/`;
  let size = 0;
  for (const rel of await filesUnder(folder.dir)) {
    const file = path.join(folder.dir, rel);
    const bytes = (await fs.stat(file)).size;
    await deps.storage.write(prefix + rel.split(path.sep).join('/'), createReadStream(file), { maxSize: bytes, contentType: FOLDER_FILE_TYPES[path.extname(rel).slice(1)] ?? 'application/octet-stream' });
    size += bytes;
  }
  return { label: folder.label, file: path.join(folder.dir, folder.main), mimetype: folder.mimetype, width: null, height: null, duration: asset.duration, bitrate: null, size, storedKey: prefix + folder.main };
}

/** How an asset looks to clients, with signed delivery links for its original and renditions. */
import type { AssetRow, SourceRow } from '../db/schema.js';
import { addSeconds, type Clock } from '../lib/clock.js';
import { dispositionFor } from '../media/kinds.js';
import type { ObjectStorage } from '../storage/object-storage.js';

/** How long a delivery link in an API response stays valid. */
export const DELIVERY_TTL_SECONDS = 3600;

export interface SourceView {
  id: string;
  label: string;
  mimetype: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  filesize: number;
  bitrate: number | null;
  url: string;
}

export interface AssetView {
  id: string;
  object: 'media';
  upload_id: string;
  kind: string;
  mimetype: string | null;
  filename: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
  filesize: number | null;
  sha256: string | null;
  title: string | null;
  alias: string | null;
  folder: string;
  metadata: Record<string, unknown>;
  status: string;
  error: { code: string; message: string } | null;
  url: string | null;
  sources: SourceView[];
  created_at: string;
  updated_at: string;
}

export async function assetView(row: AssetRow, renditions: SourceRow[], storage: ObjectStorage, clock: Clock): Promise<AssetView> {
  const expiresAt = addSeconds(clock.now(), DELIVERY_TTL_SECONDS);
  const link = (key: string, mimetype: string, filename: string) =>
    storage.presignGet(key, { expiresAt, contentType: mimetype, filename, disposition: dispositionFor(mimetype) });
  const url = row.storage_key && row.mimetype ? await link(row.storage_key, row.mimetype, row.filename) : null;
  const sources: SourceView[] = [];
  if (url && row.mimetype && row.filesize !== null) {
    sources.push({
      id: `src_${row.id.slice(4)}`,
      label: 'original',
      mimetype: row.mimetype,
      width: row.width,
      height: row.height,
      duration: row.duration,
      filesize: row.filesize,
      bitrate: row.bitrate,
      url,
    });
  }
  for (const s of renditions) {
    sources.push({
      id: s.id,
      label: s.label,
      mimetype: s.mimetype,
      width: s.width,
      height: s.height,
      duration: s.duration,
      filesize: s.filesize,
      bitrate: s.bitrate,
      url: await link(s.storage_key, s.mimetype, `${s.label}-${row.filename}`),
    });
  }
  return {
    id: row.id,
    object: 'media',
    upload_id: row.upload_id,
    kind: row.kind,
    mimetype: row.mimetype,
    filename: row.filename,
    width: row.width,
    height: row.height,
    duration: row.duration,
    fps: row.fps,
    bitrate: row.bitrate,
    filesize: row.filesize,
    sha256: row.sha256,
    title: row.title,
    alias: row.alias,
    folder: row.folder,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    url,
    sources,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

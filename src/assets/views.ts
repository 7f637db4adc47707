/** How an asset looks to clients, with signed delivery links for its original and renditions. */
import { Type, type Static } from '@sinclair/typebox';
import type { AssetRow, SourceRow } from '../db/schema.js';
import { Nullable } from '../lib/nullable.js';
import type { Metadata } from './fields.js';
import { addSeconds, type Clock } from '../lib/clock.js';
import { dispositionFor } from '../media/kinds.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { PathTokens } from '../lib/path-token.js';
import { hlsUrl, storyboardUrls } from './playback.js';
import { FOLDER_SOURCES } from './rendition-folders.js';

const Str = Type.String();
const Int = Type.Integer();
const Num = Type.Number();

/**
 * A metadata value as the schemas say it (assets/fields.ts holds the rules): a scalar, or
 * an array or object of them (spelled one level deep: JSON Schema's recursion would need a
 * shared `$id` every route compiles).
 */
export const MetadataValue = Type.Union([Str, Num, Type.Boolean(), Type.Null(), Type.Array(Type.Unknown()), Type.Record(Str, Type.Unknown())]);

/** The one definition of a source (original or rendition) as clients see it: schema, and by Static<> its type. */
export const SourceView = Type.Object({
  id: Str,
  label: Str,
  mimetype: Str,
  width: Nullable(Int),
  height: Nullable(Int),
  duration: Nullable(Num),
  filesize: Int,
  bitrate: Nullable(Int),
  url: Str,
});
export type SourceView = Static<typeof SourceView>;

/** What to show while an image or video loads: a ThumbHash (base64) and the dominant colour. */
export const Placeholder = Type.Object({ thumbhash: Str, color: Type.String({ description: '#rrggbb' }) });

/** The one definition of an asset as clients see it. */
export const AssetView = Type.Object({
  id: Str,
  object: Type.Literal('media'),
  upload_id: Str,
  kind: Str,
  mimetype: Nullable(Str),
  filename: Str,
  width: Nullable(Int),
  height: Nullable(Int),
  duration: Nullable(Num),
  fps: Nullable(Num),
  bitrate: Nullable(Int),
  filesize: Nullable(Int),
  sha256: Nullable(Str),
  title: Nullable(Str),
  alias: Nullable(Str),
  folder: Str,
  metadata: Type.Record(Str, MetadataValue),
  status: Str,
  error: Nullable(Type.Object({ code: Str, message: Str })),
  url: Nullable(Str),
  placeholder: Nullable(Placeholder),
  playback: Type.Object({
    hls: Nullable(Type.String({ description: 'Signed HLS master playlist (CMAF segments): plays without the API key until the link expires.' })),
    storyboard: Nullable(
      Type.Object(
        {
          vtt: Type.String({ description: 'Signed WebVTT: a cue per interval, each naming its tile of the sprite (`sprite.jpg#xywh=x,y,w,h`, relative to the VTT, under the same token).' }),
          image: Type.String({ description: 'Signed sprite sheet (JPEG) the VTT’s tiles are cut from.' }),
        },
        { description: 'Scrubbing previews of a video; null until processed, and for other kinds.' },
      ),
    ),
  }),
  sources: Type.Array(SourceView),
  created_at: Str,
  updated_at: Str,
});
export type AssetView = Static<typeof AssetView>;

/** The asset with delivery links that live `expiresIn` seconds (the caller's `expires_in`, or the configured default). */
export async function assetView(row: AssetRow, renditions: SourceRow[], storage: ObjectStorage, clock: Clock, expiresIn: number, tokens?: PathTokens): Promise<AssetView> {
  const expiresAt = addSeconds(clock.now(), expiresIn);
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
  let hls: string | null = null;
  let storyboard: AssetView['playback']['storyboard'] = null;
  for (const s of renditions) {
    // The HLS and storyboard folders hold many files: served under their own signed paths, not as one source.
    if ((FOLDER_SOURCES as readonly string[]).includes(s.label) && !s.blob_id) {
      if (tokens && s.label === 'hls') hls = hlsUrl(tokens, row.id, expiresAt);
      if (tokens && s.label === 'storyboard') storyboard = storyboardUrls(tokens, row.id, expiresAt);
      continue;
    }
    sources.push({
      id: s.id,
      label: s.label,
      mimetype: s.mimetype,
      width: s.width,
      height: s.height,
      duration: s.duration,
      filesize: s.filesize,
      bitrate: s.bitrate,
      url: await link(s.storage_key, s.mimetype, renditionFilename(s.label, row.filename, s.storage_key)),
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
    metadata: JSON.parse(row.metadata) as Metadata,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    url,
    placeholder: row.thumbhash && row.color ? { thumbhash: row.thumbhash, color: row.color } : null,
    playback: { hls, storyboard },
    sources,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * The download name of a rendition: its label before the original's name, with the
 * rendition's own extension (a poster of clip.mp4 is poster-clip.jpg, not poster-clip.mp4).
 */
export function renditionFilename(label: string, original: string, storageKey: string): string {
  const ext = /\.[a-z0-9]{1,5}$/i.exec(storageKey)?.[0] ?? '';
  const dot = original.lastIndexOf('.');
  const base = dot > 0 ? original.slice(0, dot) : original;
  return `${label}-${base}${ext}`;
}

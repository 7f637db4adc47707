/**
 * ittybit's shapes (docs/COMPAT.md, "ittybit"): every answer is `{meta, data, links}`; a
 * media object has the document's fields, its sources `object: "source"`, bitrates in
 * kbps (Intake keeps bits per second), `status: "active"` once ready, and URLs on the
 * adapter's own delivery routes (`/{media_id}/original`, `/{alias}/`).
 */
import type { FastifyRequest } from 'fastify';
import type { AssetView } from '../../assets/views.js';

/** The document's API version, answered in `meta.version`. */
const VERSION = '2024-03-21';

export function envelope(request: FastifyRequest, status: number, data: unknown, links: Record<string, string> = {}, object?: string) {
  const url = request.url.split('?')[0];
  return { meta: { id: request.id, method: request.method, url, version: VERSION, status, live_mode: true, ...(object && { object }) }, data, links };
}

const kbps = (bps: number | null) => (bps === null ? null : Math.round(bps / 1000));

/** Intake's asset status as ittybit names it: a ready media is `active`. */
const STATUS: Record<AssetView['status'], string> = { pending: 'pending', processing: 'processing', ready: 'active', failed: 'failed' };

export function mediaView(asset: AssetView, base: string) {
  const original = `${base}/${asset.id}/original`;
  return {
    id: asset.id,
    object: 'media',
    kind: asset.kind,
    mimetype: asset.mimetype,
    width: asset.width,
    height: asset.height,
    duration: asset.duration,
    fps: asset.fps,
    filesize: asset.filesize,
    bitrate: kbps(asset.bitrate),
    alias: asset.alias,
    url: asset.alias ? `${base}/${asset.alias}/` : original,
    sources: asset.sources.map((s) => ({
      id: s.id,
      object: 'source',
      label: s.label,
      kind: s.mimetype.split('/')[0],
      mimetype: s.mimetype,
      width: s.width,
      height: s.height,
      duration: s.duration,
      filesize: s.filesize,
      bitrate: kbps(s.bitrate),
      url: s.label === 'original' ? original : s.url,
    })),
    intelligence: [],
    metadata: { filename: asset.filename, ...asset.metadata },
    created: asset.created_at,
    updated: asset.updated_at,
    status: STATUS[asset.status],
  };
}

export const mediaLinks = (id: string) => ({ self: `/media/${id}`, parent: '/media' });

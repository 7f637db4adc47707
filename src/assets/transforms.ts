/**
 * Image transforms on demand: an image asset (or a video's frame at a chosen time) resized
 * and encoded as asked. Only two doors: a URL the API signed (`GET /v1/assets/{id}/url`,
 * HMAC over the asset, the transform and the expiry), or a preset the namespace named,
 * on its public `/p/` URLs; anything else is 403, so nobody can make Intake render sizes
 * it was not asked for by a key holder. Each result is stored once under the asset's
 * prefix (`<ns>/<med_…>/t/<digest>.<format>`), recorded in `derivatives` (counted in the
 * namespace's stored bytes, removed with the asset) and served from there afterwards.
 * Renders run in the same capped child processes as renditions (media/image-renditions.ts),
 * at most `INTAKE_TRANSFORM_CONCURRENCY` at once per namespace in this process.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Tenant } from '../auth/principal.js';
import type { AssetRow, DerivativeRow } from '../db/schema.js';
import { addSeconds } from '../lib/clock.js';
import { forbidden, invalid, notFound } from '../lib/errors.js';
import { demuxerFor, MediaError, runFfmpeg } from '../media/ffmpeg.js';
import { probeAv } from '../media/ffprobe.js';
import { renderImage } from '../media/image-renditions.js';
import { frameArgs, posterAt } from '../media/renditions.js';
import { canonicalTransform, FORMAT_MIMETYPES, negotiateFormat, normalizeTransform, renderSpecOf, TransformError, transformQuery, type Transform, type TransformParams } from '../media/transform.js';
import type { AppContext } from '../core/context.js';
import { getAsset, linkLifetime } from './assets.js';
import { imageRenderOptions, localInput } from './process-asset.js';

/** A transformed image ready to send. */
export interface Served {
  body: Readable;
  size: number;
  mimetype: string;
  etag: string;
  /** The request's Accept chose the format (`format=auto`): caches must key on it. */
  variesByAccept: boolean;
  /** Rendered for this request (false: served from the stored copy). */
  rendered: boolean;
}

/** A preset as a namespace stores it (namespaces.presets: name → parameters). */
export type Presets = Record<string, TransformParams>;

export class Transforms {
  /** Renders done by this process (tests and metrics count them: a cache hit adds none). */
  renders = 0;
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: AppContext,
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  /** A signed transform URL for one of the caller's assets, living `expiresIn` seconds (bounded by config). */
  async mintUrl(tenant: Tenant, assetId: string, params: TransformParams, expiresIn?: number): Promise<{ url: string; expires_at: string }> {
    const t = checked(params);
    const asset = await getAsset(this.deps, tenant, assetId);
    transformable(asset, t);
    const expiresAt = addSeconds(this.deps.clock.now(), linkLifetime(this.deps, expiresIn));
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const q = transformQuery(t);
    q.set('expires', String(expires));
    q.set('sig', this.sign(asset.id, t, expires));
    return { url: `${this.publicUrl}/t/${asset.id}?${q}`, expires_at: new Date(expires * 1000).toISOString() };
  }

  /** GET /t/{asset}?…&expires&sig: 403 unless signed by this instance and unexpired. */
  async serveSigned(assetId: string, query: Record<string, string | undefined>, accept: string | undefined): Promise<Served> {
    const t = checked(paramsOf(query));
    const expires = Number(query.expires);
    const given = Buffer.from(query.sig ?? '');
    const expected = Buffer.from(this.sign(assetId, t, expires));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forbidden('The transform URL is not one this API signed.', { reason: 'bad_signature' });
    if (!Number.isFinite(expires) || expires * 1000 < this.deps.clock.now().getTime()) throw forbidden('The transform URL has expired.', { reason: 'link_expired' });
    // Already made (the common case): one query, the asset itself not read. Its row exists only
    // while the asset does (a delete removes both in one transaction), and only for a transform
    // the asset allowed when it was made.
    const spec = renderSpecOf(t, negotiateFormat(t.format, accept));
    const cached = await this.deps.store.derivatives.findByFile(assetId, `${spec.name}.${spec.format}`);
    if (cached) return this.served(cached, spec.name, t, false);
    const asset = await this.deps.store.assets.findById(assetId);
    if (!asset) throw notFound('Asset');
    return this.serve(transformable(asset, t), t, accept);
  }

  /** GET /p/{ns}/{alias}/t/{preset}: a namespace's named preset on its public asset; every miss is the same 404. */
  async servePreset(namespaceId: string, alias: string, preset: string, accept: string | undefined): Promise<Served> {
    const namespace = await this.deps.store.namespaces.find(namespaceId);
    if (!namespace || namespace.public_delivery !== 1) throw notFound('Asset');
    const params = (JSON.parse(namespace.presets) as Presets)[preset];
    if (!params || !Object.hasOwn(JSON.parse(namespace.presets) as object, preset)) throw notFound('Preset');
    const asset = await this.deps.store.assets.findByAlias(namespaceId, alias);
    if (!asset || asset.status === 'pending' || asset.status === 'failed') throw notFound('Asset');
    const t = normalizeTransform(params);
    return this.serve(transformable(asset, t), t, accept);
  }

  private sign(assetId: string, t: Transform, expires: number): string {
    return createHmac('sha256', this.secret).update(JSON.stringify(['intake-transform-v1', assetId, canonicalTransform(t), expires])).digest('base64url');
  }

  private async serve(asset: AssetRow, t: Transform, accept: string | undefined): Promise<Served> {
    const format = negotiateFormat(t.format, accept);
    const spec = renderSpecOf(t, format);
    const key = `${asset.namespace_id}/${asset.id}/t/${spec.name}.${format}`;
    let rendered = false;
    // A cached one (a preset's, or a signed URL's made meanwhile) costs one read of its row.
    let row = await this.deps.store.derivatives.find(key);
    if (!row) {
      rendered = await this.once(key, () => this.withSlot(asset.namespace_id, () => this.make(asset, t, format, key)));
      row = await this.deps.store.derivatives.find(key);
    }
    // Deleted while it rendered: its files went with it.
    if (!row) throw notFound('Asset');
    return this.served(row, spec.name, t, rendered);
  }

  private async served(row: DerivativeRow, name: string, t: Transform, rendered: boolean): Promise<Served> {
    return { body: await this.deps.storage.read(row.storage_key), size: row.size, mimetype: row.mimetype, etag: `"${name}"`, variesByAccept: t.format === 'auto', rendered };
  }

  /** One render per key at a time in this process: a burst of the same new URL renders once. */
  private async once(key: string, fn: () => Promise<void>): Promise<boolean> {
    const running = this.inflight.get(key);
    if (running) {
      await running;
      return false;
    }
    const p = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    await p;
    return true;
  }

  /** At most `transformConcurrency` renders at once per namespace; the rest wait in order. */
  private async withSlot<T>(namespaceId: string, fn: () => Promise<T>): Promise<T> {
    const cap = this.deps.config.delivery.transformConcurrency;
    if ((this.running.get(namespaceId) ?? 0) >= cap) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(namespaceId) ?? [];
        queue.push(resolve);
        this.waiting.set(namespaceId, queue);
      });
    }
    this.running.set(namespaceId, (this.running.get(namespaceId) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      this.running.set(namespaceId, (this.running.get(namespaceId) ?? 1) - 1);
      const next = this.waiting.get(namespaceId)?.shift();
      if (next) next();
      else if (!this.running.get(namespaceId)) this.running.delete(namespaceId);
    }
  }

  private async make(asset: AssetRow, t: Transform, format: keyof typeof FORMAT_MIMETYPES, key: string): Promise<void> {
    const deps = this.deps;
    if (await deps.store.derivatives.find(key)) return;
    const dir = path.join(deps.config.storage.dataDir, 'work', `t-${randomUUID()}`);
    await fs.mkdir(dir, { recursive: true });
    try {
      const original = await localInput(deps, asset, dir);
      const input = asset.kind === 'video' ? await frameOf(deps, asset, original, dir, t.time) : original;
      const spec = renderSpecOf(t, format);
      const { renditions } = await renderImage(input, dir, { specs: [spec], placeholder: false }, imageRenderOptions(deps));
      this.renders++;
      const made = renditions[0]!;
      await deps.storage.write(key, createReadStream(made.file), { maxSize: made.size, contentType: FORMAT_MIMETYPES[format] });
      const recorded = await deps.store.transaction(async (r) => {
        if (!(await r.assets.findById(asset.id))) return false;
        const row = { storage_key: key, asset_id: asset.id, namespace_id: asset.namespace_id, mimetype: FORMAT_MIMETYPES[format], size: made.size, created_at: deps.clock.now().toISOString() };
        if (await r.derivatives.insert(row)) await r.namespaces.adjust(asset.namespace_id, { stored: made.size });
        return true;
      });
      if (!recorded) await deps.storage.delete(key);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}

/** The frame at `time` (default: the poster's moment), as PNG; past the end is a 400. */
async function frameOf(deps: AppContext, asset: AssetRow, input: string, dir: string, time: number | null): Promise<string> {
  const av = await probeAv(deps.config.media.ffprobePath, input);
  const demuxer = demuxerFor(asset.mimetype!, av.formats);
  if (!demuxer) throw new MediaError(`There is no safe demuxer for ${asset.mimetype}.`);
  const at = time ?? posterAt(asset.duration);
  if (asset.duration !== null && at > asset.duration) throw invalid(`time is past the end of the video (${asset.duration} s).`, 'time');
  const file = path.join(dir, 'frame.png');
  await runFfmpeg(deps.config.media.ffmpegPath, { input, demuxer, inputArgs: at > 0 ? ['-ss', String(at)] : [], outputArgs: frameArgs(file), duration: null, timeoutMs: 60_000 });
  const size = await fs.stat(file).then((s) => s.size, () => 0);
  if (!size) throw invalid('No frame could be decoded at that time.', 'time');
  return file;
}

function checked(params: TransformParams): Transform {
  try {
    return normalizeTransform(params);
  } catch (err) {
    if (err instanceof TransformError) throw invalid(err.message, err.field);
    throw err;
  }
}

/** Only images and videos with stored bytes transform; `time` only for a video. */
function transformable(asset: AssetRow, t: Transform): AssetRow {
  if (!asset.storage_key || !asset.mimetype || asset.status === 'pending' || asset.status === 'failed') throw notFound('Asset');
  if (asset.kind !== 'image' && asset.kind !== 'video') throw invalid('Only image and video assets can be transformed.', 'id');
  if (t.time !== null && asset.kind !== 'video') throw invalid('time applies to videos only.', 'time');
  return asset;
}

/** The transform fields of a query string (numbers parsed; unknown ones ignored, as the signature covers only these). */
function paramsOf(q: Record<string, string | undefined>): TransformParams {
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return {
    width: num(q.width),
    height: num(q.height),
    fit: q.fit as TransformParams['fit'],
    format: q.format as TransformParams['format'],
    quality: num(q.quality),
    dpr: num(q.dpr),
    time: num(q.time),
  };
}

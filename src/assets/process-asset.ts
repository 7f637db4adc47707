/**
 * The `asset.process` job: renditions for a verified asset. Video → an H.264/AAC MP4 per
 * ladder rung (never above the source) and a JPEG poster; image → WebP thumbnail and
 * preview; audio → AAC. Images and videos also get their placeholder (a ThumbHash and the
 * dominant colour, of the image or of the poster), recorded on the asset with the renditions. Each is probed, written through the storage driver under a fixed
 * key (a retry overwrites, never adds), and recorded with the status change in one
 * transaction that first removes any earlier set, so the asset ends with exactly one set.
 * Their bytes count in the namespace's `stored_bytes` (added in that transaction, the
 * earlier set's taken off); they are made even when that passes the quota.
 * All scratch files live in one folder per asset, emptied before and removed after. An
 * asset deleted while its job runs ends the job quietly: the user asked for it, nothing failed.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AssetRow } from '../db/schema.js';
import type { JobContext } from '../jobs/catalogue.js';
import { PermanentJobError } from '../jobs/catalogue.js';
import { newId } from '../lib/ids.js';
import { probeAv, ProbeError, probeStill } from '../media/ffprobe.js';
import { demuxerFor, MediaError, runFfmpeg, type RunOptions } from '../media/ffmpeg.js';
import { writeMasterPlaylist } from '../media/hls.js';
import { makeImageRenditions, renderImage, type Placeholder } from '../media/image-renditions.js';
import { audioArgs, ladderFor, posterArgs, posterSeeks, videoLadderArgs } from '../media/renditions.js';
import { SPRITE_NAME, storyboardPlan, VTT_NAME, writeStoryboardVtt } from '../media/storyboard.js';
import { ObjectTooLargeError } from '../storage/object-storage.js';
import type { AppContext } from '../core/context.js';
import { assetData, emitEvent, uploadData } from '../webhooks/events.js';
import { FOLDER_SOURCES, HLS_MIMETYPE, STORYBOARD_MIMETYPE, storeFolder, type Folder } from './rendition-folders.js';

interface Output {
  label: string;
  file: string;
  mimetype: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  bitrate: number | null;
  size: number;
}

/** Per second of source media, on top of a fixed minute: a hung ffmpeg is killed, not waited for. */
const SECONDS_PER_MEDIA_SECOND = 20;

/** The deadline of each ffmpeg run of a transcode, scaled by the source's duration (a minute's worth when unknown). */
export function transcodeTimeoutMs(duration: number | null): number {
  return 60_000 + (duration ?? 60) * SECONDS_PER_MEDIA_SECOND * 1000;
}

function workDirOf(deps: AppContext, assetId: string): string {
  return path.join(deps.config.storage.dataDir, 'work', assetId);
}

export async function processAsset(deps: AppContext, assetId: string, ctx: JobContext): Promise<void> {
  const asset = await deps.store.assets.findById(assetId);
  if (!asset || !asset.storage_key || !asset.mimetype || !(await needsWork(deps, asset))) return;
  const dir = workDirOf(deps, asset.id);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  try {
    const input = await localInput(deps, asset, dir);
    const { outputs, placeholder, folders = [] } = await render(deps, asset, input, dir, ctx);
    for (const folder of folders) outputs.push(await storeFolder(deps, asset, folder));
    await store(deps, asset, outputs, placeholder);
  } catch (err) {
    // Deleted meanwhile: its original went with it, so ffmpeg, sharp or the download failed
    // for want of a file. Done, not failed (and nothing to retry).
    if (await gone(deps, asset)) return;
    // The lease was lost: another run owns the job now (and may have emptied the scratch folder under this one).
    if (ctx.signal.aborted) throw err;
    const permanent = err instanceof MediaError || err instanceof ProbeError;
    if (!permanent && ctx.attempt < ctx.maxAttempts) throw err;
    const message = permanent ? (err as Error).message : `The media could not be processed after ${ctx.attempt} attempts.`;
    await fail(deps, asset, message);
    if (!permanent) deps.log.error({ err, asset_id: asset.id }, 'processing gave up');
    throw new PermanentJobError(message, err);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Whether the asset was deleted. Renditions a run stored under its prefix after the delete
 * cleared it are removed here. A database that cannot answer counts as not gone: the error
 * then takes its usual course.
 */
async function gone(deps: AppContext, asset: AssetRow): Promise<boolean> {
  const row = await deps.store.assets.findById(asset.id).catch(() => null);
  if (row !== undefined) return false;
  await deps.storage.deletePrefix(`${asset.namespace_id}/${asset.id}`).catch((err: unknown) => deps.log.warn({ err, asset_id: asset.id }, 'could not delete the renditions of a deleted asset'));
  deps.log.info({ asset_id: asset.id }, 'asset deleted while it was processed');
  return true;
}

/** Video and audio wait in `processing`; an image is ready at once and only lacks its renditions. */
async function needsWork(deps: AppContext, asset: AssetRow): Promise<boolean> {
  if (asset.kind === 'video' || asset.kind === 'audio') return asset.status === 'processing';
  if (asset.kind === 'image') return asset.status === 'ready' && !(await deps.store.assets.listSources(asset.id)).length;
  return false;
}

/** The original as a local file: in place when the driver keeps it on disk, else streamed down, size-capped. */
export async function localInput(deps: AppContext, asset: AssetRow, dir: string): Promise<string> {
  if (deps.storage.localPath) return deps.storage.localPath(asset.storage_key!);
  const file = path.join(dir, 'source');
  const cap = (asset.filesize ?? deps.config.uploads.maxUploadBytes) + 1;
  let seen = 0;
  const body = await deps.storage.read(asset.storage_key!);
  await pipeline(
    body,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        seen += chunk.length;
        if (seen > cap) throw new ObjectTooLargeError(cap);
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return file;
}

/** Resizing decodes the whole image, which verification (headers only) never did: four times its memory cap. */
const RENDITION_MEMORY_FACTOR = 4;

interface Rendered {
  outputs: Output[];
  placeholder: Placeholder | null;
  /** A video's folders of many files (HLS, storyboard), each stored as one source. */
  folders?: Folder[];
}

/** The limits every image render of a job runs under (transforms use the same). */
export function imageRenderOptions(deps: AppContext, signal?: AbortSignal) {
  return { maxPixels: deps.config.media.maxImagePixels, memoryMb: RENDITION_MEMORY_FACTOR * deps.config.media.imageMemoryMb, cpuMs: deps.config.media.imageTimeoutMs, signal, heifConvert: deps.config.media.heifConvertPath };
}

async function render(deps: AppContext, asset: AssetRow, input: string, dir: string, ctx: JobContext): Promise<Rendered> {
  const timeoutMs = transcodeTimeoutMs(asset.duration);
  if (asset.kind === 'image') {
    const made = await makeImageRenditions(input, dir, imageRenderOptions(deps, ctx.signal));
    const outputs = made.renditions.map((r) => ({ label: r.name, file: r.file, mimetype: 'image/webp', width: r.width, height: r.height, duration: null, bitrate: null, size: r.size }));
    return { outputs, placeholder: made.placeholder };
  }
  // Probed again here (verification's facts are on the row, but not which demuxer reads the file).
  const av = await probeAv(deps.config.media.ffprobePath, input, { signal: ctx.signal });
  const demuxer = demuxerFor(asset.mimetype!, av.formats);
  if (!demuxer) throw new MediaError(`There is no safe demuxer for ${asset.mimetype}.`);
  const progress = progressReporter(deps, asset.upload_id);
  const base = { input, demuxer, duration: asset.duration, timeoutMs, signal: ctx.signal };
  if (asset.kind === 'audio') {
    const file = path.join(dir, 'audio.m4a');
    await runFfmpeg(deps.config.media.ffmpegPath, { ...base, outputArgs: audioArgs(file), onProgress: (f) => progress(f * 90) });
    return { outputs: [await probed(deps, 'audio', file, 'audio/mp4')], placeholder: null };
  }
  const rungs = ladderFor(asset.height, deps.config.media.videoLadder).map((h) => ({ label: `${h}p`, height: h, file: path.join(dir, `${h}p.mp4`) }));
  const hlsDir = path.join(dir, 'hls');
  for (const sub of [...rungs.map((r) => r.label), 'audio']) await fs.mkdir(path.join(hlsDir, sub), { recursive: true });
  const plan = storyboardPlan(asset.duration ?? av.duration);
  const boardDir = path.join(dir, 'storyboard');
  await fs.mkdir(boardDir);
  const storyboard = plan ? { plan, file: path.join(boardDir, SPRITE_NAME) } : undefined;
  await runFfmpeg(deps.config.media.ffmpegPath, { ...base, outputArgs: videoLadderArgs(rungs, av.hasAudio, hlsDir, storyboard), onProgress: (f) => progress(f * 85) });
  const poster = path.join(dir, 'poster.jpg');
  await makePoster(deps, { ...base, duration: null }, poster, asset.duration);
  const { placeholder } = await renderImage(poster, dir, { specs: [], placeholder: true }, imageRenderOptions(deps, ctx.signal));
  progress(90);
  const outputs = [];
  for (const r of rungs) outputs.push(await probed(deps, r.label, r.file, 'video/mp4'));
  outputs.push(await probed(deps, 'poster', poster, 'image/jpeg'));
  await writeMasterPlaylist(hlsDir, outputs.filter((o) => o.mimetype === 'video/mp4').map((o) => ({ label: o.label, width: o.width ?? 0, height: o.height ?? 0 })), av.hasAudio);
  const folders: Folder[] = [{ label: 'hls', dir: hlsDir, main: 'master.m3u8', mimetype: HLS_MIMETYPE }];
  // A sprite ffmpeg could not make (no frame at its times) costs the video its scrubbing previews, nothing more.
  if (plan && (await writeStoryboardVtt(deps.config.media.ffprobePath, boardDir, plan))) folders.push({ label: 'storyboard', dir: boardDir, main: VTT_NAME, mimetype: STORYBOARD_MIMETYPE });
  return { outputs, placeholder, folders };
}

/**
 * The poster: a frame a quarter in, else the first frame that decodes. ffmpeg exits 0 when
 * it wrote nothing (a seek past the last frame), so the file itself is the answer; a video
 * that gives no frame at all is bad media, not a passing failure.
 */
async function makePoster(deps: AppContext, base: Omit<RunOptions, 'outputArgs'>, poster: string, duration: number | null): Promise<void> {
  for (const inputArgs of posterSeeks(duration)) {
    await fs.rm(poster, { force: true });
    await runFfmpeg(deps.config.media.ffmpegPath, { ...base, inputArgs, outputArgs: posterArgs(poster) });
    if ((await sizeOf(poster)) > 0) return;
  }
  throw new MediaError('The media could not be decoded: no frame of the video could be decoded for its poster.');
}

/** A file's size, 0 when it is not there. */
async function sizeOf(file: string): Promise<number> {
  return fs.stat(file).then((st) => st.size, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return 0;
    throw err;
  });
}

/** A rendition's own facts, read back from the file ffmpeg wrote. */
async function probed(deps: AppContext, label: string, file: string, mimetype: string): Promise<Output> {
  const size = await sizeOf(file);
  // ffmpeg ran, exited 0 and wrote nothing: what it was given holds nothing to write.
  if (size === 0) throw new MediaError(`The media could not be decoded: nothing could be made of it for the ${label} rendition.`);
  if (mimetype === 'image/jpeg') {
    const info = await probeStill(deps.config.media.ffprobePath, file, 'jpeg_pipe');
    return { label, file, mimetype, ...info, duration: null, bitrate: null, size };
  }
  const av = await probeAv(deps.config.media.ffprobePath, file);
  return { label, file, mimetype, width: av.width, height: av.height, duration: av.duration, bitrate: av.bitrate, size };
}

/** Writes progress to the upload at most once a second. */
function progressReporter(deps: AppContext, uploadId: string): (percent: number) => void {
  let last = 0;
  let lastAt = 0;
  return (percent) => {
    const p = Math.max(0, Math.min(99, Math.floor(percent)));
    if (p <= last || Date.now() - lastAt < 1000) return;
    last = p;
    lastAt = Date.now();
    deps.store.uploads.transition(uploadId, ['processing'], { progress: p }).catch(() => undefined);
  };
}

async function store(deps: AppContext, asset: AssetRow, made: Array<Output & { storedKey?: string }>, placeholder: Placeholder | null): Promise<void> {
  const ours = (key: string) => key.startsWith(`${asset.namespace_id}/${asset.id}/`);
  // A label a source attached from another upload holds (its own poster, say) is not made again.
  const attached = new Set((await deps.store.assets.listSources(asset.id)).filter((src) => !ours(src.storage_key)).map((src) => src.label));
  const outputs = made.filter((o) => !attached.has(o.label));
  await deps.store.uploads.transition(asset.upload_id, ['processing'], { status: 'storing', progress: 90, updated_at: deps.clock.now().toISOString() });
  const keys: string[] = [];
  for (const o of outputs) {
    if (o.storedKey) {
      keys.push(o.storedKey);
      continue;
    }
    const key = `${asset.namespace_id}/${asset.id}/${o.label}${path.extname(o.file)}`;
    await deps.storage.write(key, createReadStream(o.file), { maxSize: o.size, contentType: o.mimetype });
    keys.push(key);
  }
  const now = deps.clock.now().toISOString();
  const recorded = await deps.store.transaction(async (r) => {
    const current = await r.assets.findById(asset.id);
    if (!current) return false;
    // Replaces an earlier run's renditions (under the asset's own prefix); sources attached from other uploads stay.
    // Renditions count in the quota: the earlier set's bytes leave it, the new set's join it.
    let change = 0;
    for (const src of await r.assets.listSources(asset.id)) {
      if (!ours(src.storage_key)) continue;
      await r.assets.deleteSource(src.id);
      if (!src.blob_id) change -= src.filesize ?? 0;
    }
    for (const [i, o] of outputs.entries()) {
      change += o.size;
      await r.assets.insertSource({ id: newId('src'), asset_id: asset.id, namespace_id: asset.namespace_id, label: o.label, mimetype: o.mimetype, width: o.width, height: o.height, duration: o.duration, filesize: o.size, bitrate: o.bitrate, storage_key: keys[i]!, created_at: now });
    }
    // Made anyway, even past the quota: the namespace then has no room for new uploads.
    if (change) await r.namespaces.adjust(asset.namespace_id, { stored: change });
    if (placeholder) await r.assets.update(asset.namespace_id, asset.id, { thumbhash: placeholder.thumbhash, color: placeholder.color });
    if (current.status !== 'processing') return true;
    await r.assets.transition(asset.id, ['processing'], { status: 'ready', updated_at: now });
    const upload = await r.uploads.findById(asset.upload_id);
    if (upload && (await r.uploads.transition(upload.id, ['processing', 'storing'], { status: 'completed', progress: 100, completed_at: now, updated_at: now }))) {
      await emitEvent(deps, r, asset.namespace_id, 'upload.completed', uploadData({ ...upload, status: 'completed' }));
    }
    await emitEvent(deps, r, asset.namespace_id, 'asset.ready', assetData({ ...current, status: 'ready', thumbhash: placeholder?.thumbhash ?? null, color: placeholder?.color ?? null }));
    return true;
  });
  // Deleted while it was being processed: its renditions must not outlive it.
  if (!recorded) {
    for (const key of keys) await deps.storage.delete(key);
    for (const folder of FOLDER_SOURCES) await deps.storage.deletePrefix(`${asset.namespace_id}/${asset.id}/${folder}/`);
  }
}

/** Bad media: the asset and its upload fail with the reason; the original stays until the asset is deleted. */
async function fail(deps: AppContext, asset: AssetRow, message: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.store.transaction(async (r) => {
    if (!(await r.assets.transition(asset.id, ['processing'], { status: 'failed', error_code: 'processing_failed', error_message: message, updated_at: now }))) return;
    const upload = await r.uploads.findById(asset.upload_id);
    if (upload && (await r.uploads.transition(upload.id, ['processing', 'storing'], { status: 'failed', error_code: 'processing_failed', error_message: message, updated_at: now }))) {
      await emitEvent(deps, r, asset.namespace_id, 'upload.failed', uploadData({ ...upload, status: 'failed', error_code: 'processing_failed', error_message: message }));
    }
    await emitEvent(deps, r, asset.namespace_id, 'asset.failed', assetData({ ...asset, status: 'failed', error_code: 'processing_failed', error_message: message }));
  });
}

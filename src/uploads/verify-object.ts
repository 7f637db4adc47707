/**
 * What arrived versus what was declared: presence, size, SHA-256, the real type sniffed
 * from the bytes, the probed media, the pixel limit and the session's conditions. Every
 * rejection is an IntakeError with `details.reason`; anything else is an outage.
 */
import { createHash } from 'node:crypto';
import type { MediaKind } from '../config/config.js';
import type { UploadRow } from '../db/schema.js';
import { IntakeError, type ExtraDetails, type ReasonOf } from '../lib/errors.js';
import { probeAv, ProbeError } from '../media/ffprobe.js';
import { ImageDecodeError, ImageTooComplexError } from '../media/image.js';
import { ISO_BMFF_TYPES, missingMediaData } from '../media/isobmff.js';
import { audioFormOf } from '../media/kinds.js';
import { SNIFF_BYTES } from '../media/sniff.js';
import { readHead, withLocalFile } from '../storage/local-file.js';
import { failedRules, type Conditions, type Facts } from './conditions.js';
import { checkBytesType, isUntypedSession, typeFromBytes, UNKNOWN_KIND } from './check-type.js';
import { tooLarge } from './limits.js';
import type { AppContext } from '../core/context.js';

/** Verification reads the bytes and runs the probes; it writes nothing. */
type Deps = Pick<AppContext, 'storage' | 'types' | 'images' | 'log'> & { config: Pick<AppContext['config'], 'media'> };

export interface Verified {
  size: number;
  sha256: string;
  mimetype: string;
  /**
   * What the bytes are: the session's kind (for an untyped session, the kind its bytes
   * turned out to be), or `audio` for a video container that holds audio alone.
   */
  kind: MediaKind;
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
}

const failed = (reason: ReasonOf<'verification_failed'>, message: string, extra: ExtraDetails = {}) =>
  new IntakeError('verification_failed', message, { reason, ...extra });

export interface VerifyOptions {
  /** The ETag complete was given, if any. */
  etag?: string;
  /** The size limit of a kind in the session's namespace: an untyped session is held to its real kind's. */
  limitOf: (kind: MediaKind) => Promise<number>;
}

/**
 * Complete before any bytes arrived: not the bytes' fault, and nothing to delete. The
 * session is reopened (complete-upload.ts) so the client can send them and complete again.
 */
export function noBytesYet(): IntakeError {
  return new IntakeError('conflict', 'No bytes have arrived for this upload yet: send them to its upload URL, then complete again.', { reason: 'no_bytes_yet', status: 'pending' });
}

export async function verifyObject(deps: Deps, upload: UploadRow, { etag, limitOf }: VerifyOptions): Promise<Verified> {
  const head = await deps.storage.head(upload.storage_key);
  // A form upload's bytes were stored with its row: gone now, they are missing for good.
  if (!head) throw upload.method === 'form' ? failed('missing', 'No bytes were received for this upload.') : noBytesYet();
  if (etag && normaliseEtag(etag) !== normaliseEtag(head.etag)) throw failed('etag_mismatch', 'The stored object is not the one with that ETag.');
  if (head.size !== upload.file_size) {
    throw failed('size_mismatch', `Expected ${upload.file_size} bytes, received ${head.size}.`, { expected: upload.file_size, actual: head.size });
  }
  // Hashed on the way in (local PUT, form upload), or verified by the store itself; else streamed now.
  const known = upload.received_etag === head.etag && upload.received_sha256 ? upload.received_sha256 : head.sha256;
  const key = upload.storage_key;
  let verified: Verified;
  if (!known && upload.kind !== 'document' && !deps.storage.localPath) {
    // Remote media needs a local copy for probing anyway: one download gives the hash too.
    verified = await withLocalFile(deps.storage, key, (file, sha256) => checkContent(deps, upload, head.size, sha256!, (fn) => fn(file), limitOf), upload.file_size, { hash: true });
  } else {
    const sha256 = known ?? (await hashObject(deps, key));
    verified = await checkContent(deps, upload, head.size, sha256, (fn) => withLocalFile(deps.storage, key, (file) => fn(file), upload.file_size), limitOf);
  }
  await makeDurable(deps, key, known);
  return verified;
}

/**
 * The bytes reach the disk before anything is built on them: a local PUT or a tus upload's
 * last request left its fsync to here, so bytes refused above never cost one. Written
 * before the machine last started, they may not be what arrived (pages not yet on disk die
 * with the machine): the digest taken as they arrived must still match them.
 */
async function makeDurable(deps: Deps, key: string, digestOnArrival: string | undefined): Promise<void> {
  if (!deps.storage.sync || (await deps.storage.sync(key)) || !digestOnArrival) return;
  const now = await hashObject(deps, key);
  if (now !== digestOnArrival) {
    throw failed('lost_on_restart', 'The machine restarted before these bytes reached its disk: they are not the bytes received. Upload them again.', { expected: digestOnArrival, actual: now });
  }
}

/** Runs `fn` with the object as a local file. */
type WithFile = <T>(fn: (file: string) => Promise<T>) => Promise<T>;

/** Checksum, real type (and, for an untyped session, its kind's size limit), probed media and conditions, in that order. */
async function checkContent(deps: Deps, upload: UploadRow, size: number, sha256: string, withFile: WithFile, limitOf: VerifyOptions['limitOf']): Promise<Verified> {
  if (upload.file_hash && upload.file_hash !== sha256) {
    throw failed('checksum_mismatch', 'The SHA-256 of the bytes does not match file_hash.', { expected: upload.file_hash, actual: sha256 });
  }
  const { mimetype, kind } = await sniff(deps, upload);
  if (upload.kind === UNKNOWN_KIND) {
    // Created against the largest limit of any kind; now the bytes say which one applies.
    const limit = await limitOf(kind);
    if (size > limit) throw tooLarge(size, limit, kind);
  }
  const result: Verified = { size, sha256, ...(await probe(deps, upload, kind, mimetype, withFile)) };
  if (result.kind !== kind) {
    // Bytes of another kind than their type said (audio alone in a video container) meet that kind's limit.
    const limit = await limitOf(result.kind);
    if (size > limit) throw tooLarge(size, limit, result.kind);
  }
  checkConditions(upload, result);
  return result;
}

function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

async function hashObject(deps: Deps, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await deps.storage.read(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The real type and kind. A typed session's bytes must be of its declared kind; an untyped
 * one's are typed by themselves, as a form upload's are (within its kind, when declared),
 * and their type must be allowed.
 */
async function sniff(deps: Deps, upload: UploadRow): Promise<{ mimetype: string; kind: MediaKind }> {
  const head = await readHead(deps.storage, upload.storage_key, SNIFF_BYTES);
  if (!isUntypedSession(upload)) return { mimetype: await checkBytesType(deps.types, head, upload.content_type, upload.kind), kind: upload.kind as MediaKind };
  const found = await typeFromBytes(head);
  const kind = upload.kind === UNKNOWN_KIND ? deps.types.kindOf(found) : (upload.kind as MediaKind);
  return { mimetype: await checkBytesType(deps.types, head, found, kind), kind };
}

type Probed = Omit<Verified, 'size' | 'sha256'>;

async function probe(deps: Deps, upload: UploadRow, declaredKind: MediaKind, mimetype: string, withFile: WithFile): Promise<Probed> {
  let kind = declaredKind;
  const none: Probed = { kind, mimetype, width: null, height: null, duration: null, fps: null, bitrate: null };
  if (kind === 'document') return none;
  const undecodable = (err: unknown, why = '') => {
    deps.log.info({ err, upload_id: upload.id }, 'media could not be decoded');
    return new IntakeError('unsupported_media_type', `The bytes could not be decoded as ${kind}${why ? `: ${why}` : ''}.`, { reason: 'undecodable' });
  };
  return withFile(async (file) => {
    if (kind === 'image') {
      const info = await deps.images.probe(file).catch((err: unknown) => {
        if (err instanceof ImageTooComplexError) {
          // Like too_many_pixels: too large, just not in bytes. Only this upload fails.
          throw new IntakeError('file_too_large', err.message, { reason: 'too_complex', limit: err.limit });
        }
        throw err instanceof ImageDecodeError ? undecodable(err.cause) : err;
      });
      const pixels = info.width * info.height;
      if (pixels > deps.config.media.maxImagePixels) {
        throw new IntakeError('file_too_large', `The image has ${pixels} pixels; at most ${deps.config.media.maxImagePixels} are allowed.`, {
          reason: 'too_many_pixels',
          max_pixels: deps.config.media.maxImagePixels,
          width: info.width,
          height: info.height,
        });
      }
      return { ...none, width: info.width, height: info.height };
    }
    const av = await probeAv(deps.config.media.ffprobePath, file).catch((err: unknown) => {
      throw err instanceof ProbeError ? undecodable(err) : err;
    });
    // Audio alone in a container named as video (an Opus WebM: browsers send video/webm for
    // any .webm, and file-type names the container) is an audio file, if that type is allowed.
    const audioForm = kind === 'video' && !av.hasVideo && av.hasAudio ? audioFormOf(mimetype) : null;
    if (audioForm && deps.types.isAllowed(audioForm)) {
      kind = 'audio';
      mimetype = audioForm;
    }
    if (kind === 'video' && !av.hasVideo) throw undecodable(new Error('no video stream'));
    if (kind === 'audio' && !av.hasAudio) throw undecodable(new Error('no audio stream'));
    // A moving picture declared as audio (say audio/mp4) would escape the video limits; cover art is not a video stream.
    if (kind === 'audio' && av.hasVideo) {
      throw new IntakeError('unsupported_media_type', 'The bytes hold a video stream; audio may only carry cover art.', { reason: 'kind_mismatch', declared: upload.content_type, detected: 'video' });
    }
    const missing = ISO_BMFF_TYPES.has(mimetype) ? await missingMediaData(file) : null;
    if (missing) throw undecodable(new Error(missing), missing);
    const implausible = implausibleFacts(av);
    if (implausible) throw undecodable(new Error(implausible), implausible);
    return { kind, mimetype, width: av.width, height: av.height, duration: av.duration, fps: plausible(av.fps, MAX_FPS), bitrate: plausible(av.bitrate, MAX_BITRATE) };
  });
}

/** Bounds on what a header may claim: beyond them the header is lying, not describing media. */
const MAX_DURATION_SECONDS = 7 * 24 * 3600;
const MAX_DIMENSION = 65_536;
const MAX_FPS = 1000;
const MAX_BITRATE = 100e9;

function implausibleFacts(av: { width: number | null; height: number | null; duration: number | null }): string | null {
  if (av.duration !== null && !(av.duration >= 0 && av.duration <= MAX_DURATION_SECONDS)) {
    return `it claims to last ${av.duration} s, more than the ${MAX_DURATION_SECONDS} s any media here may`;
  }
  for (const [name, v] of [['width', av.width], ['height', av.height]] as const) {
    if (v !== null && !(v > 0 && v <= MAX_DIMENSION)) return `its ${name} of ${v} pixels is impossible`;
  }
  return null;
}

/** A rate outside its range is a header's noise (90000 fps time bases, say): unknown, not refused. */
function plausible(v: number | null, max: number): number | null {
  return v !== null && v > 0 && v <= max ? v : null;
}

/** What conditions are evaluated against, for verified bytes or a stored asset. */
export function factsOf(m: { kind: string; mimetype: string | null; width: number | null; height: number | null; duration: number | null; fps: number | null; bitrate: number | null } & ({ size: number } | { filesize: number | null })): Facts {
  return {
    kind: m.kind,
    mimetype: m.mimetype,
    filesize: 'size' in m ? m.size : m.filesize,
    width: m.width,
    height: m.height,
    duration: m.duration,
    fps: m.fps,
    bitrate: m.bitrate,
  };
}

function checkConditions(upload: UploadRow, v: Verified): void {
  if (!upload.conditions) return;
  const failedList = failedRules(JSON.parse(upload.conditions) as Conditions, factsOf(v));
  if (failedList.length) {
    throw new IntakeError('conditions_not_met', 'The media does not meet the upload conditions.', { failed_rules: failedList });
  }
}

/**
 * What the first bytes say a file is, against what was declared: shared by complete
 * (verifying stored bytes) and form uploads (checking the stream before storing it).
 */
import type { MediaKind } from '../config/config.js';
import { IntakeError, type ReasonOf } from '../lib/errors.js';
import type { MediaTypes } from '../media/kinds.js';
import { sniffType } from '../media/sniff.js';

/** Audio may arrive in a container file-type names as video (an audio-only MP4, WebM or Matroska). */
const AUDIO_CONTAINERS = new Set(['video/mp4', 'video/webm', 'video/x-matroska', 'video/ogg', 'video/quicktime', 'application/ogg']);

/** The type clients send when they do not know one (`curl -F file=@clip.mp4`). */
export const UNTYPED = new Set(['application/octet-stream', '']);

/** The type an untyped session is declared with, kept until complete reads its bytes. */
export const UNTYPED_SESSION_TYPE = 'application/octet-stream';

/** The kind an untyped session (declared without one) shows until complete reads its bytes. */
export const UNKNOWN_KIND = 'unknown';
export type SessionKind = MediaKind | typeof UNKNOWN_KIND;

/** A session declared `application/octet-stream`: complete types it by its bytes, as the form route does. */
export function isUntypedSession(row: { content_type: string }): boolean {
  return row.content_type === UNTYPED_SESSION_TYPE;
}

/** Every allowed type, sorted. */
export function allowedTypeList(types: MediaTypes): string[] {
  // MediaTypes keeps its set private and src/media is not this layer's to widen: read it by name.
  return [...(types['allowed'] as ReadonlySet<string>)].sort();
}

/** The kinds at least one allowed type belongs to. */
export function allowedKinds(types: MediaTypes): MediaKind[] {
  return [...new Set(allowedTypeList(types).map((t) => types.kindOf(t)))];
}

/** What a 415 for a type off the list adds: the list, and how it changes. */
export function allowedHint(types: MediaTypes): string {
  return (
    `Allowed: ${allowedTypeList(types).join(', ')}. The server's INTAKE_ALLOWED_TYPES setting replaces this list; ` +
    'a file whose type the client does not know may be declared application/octet-stream and is typed by its bytes.'
  );
}

/** The mimetype to record for bytes declared `declared` (of kind `kind`), or the 415 they deserve. */
export async function checkBytesType(types: MediaTypes, head: Buffer, declared: string, kind: string): Promise<string> {
  const sniffed = await sniffType(head, declared);
  const reject = (reason: ReasonOf<'unsupported_media_type'>, message: string) => new IntakeError('unsupported_media_type', message, { reason, declared, detected: sniffed });
  if (!sniffed) throw reject('unrecognised', `The bytes are not a ${declared} file.`);
  const sniffedKind = types.kindOf(sniffed);
  const audioInContainer = kind === 'audio' && AUDIO_CONTAINERS.has(sniffed);
  if (sniffedKind !== kind && !audioInContainer) throw reject('kind_mismatch', `The bytes are a ${sniffed} file, not a ${kind}.`);
  if (!types.isAllowed(sniffed) && !audioInContainer) throw reject('type_not_allowed', `The bytes are ${sniffed}, which is not allowed. ${allowedHint(types)}`);
  return audioInContainer && sniffedKind !== 'audio' ? declared : sniffed;
}

/**
 * The type of an untyped file, from its bytes alone: a known magic number, else SVG or
 * UTF-8 text. 415 `unrecognised` when nothing fits; the allowed list is applied after.
 */
export async function typeFromBytes(head: Buffer): Promise<string> {
  const found = (await sniffType(head, 'application/octet-stream')) ?? (await sniffType(head, 'image/svg+xml')) ?? (await sniffType(head, 'text/plain'));
  if (!found) {
    throw new IntakeError('unsupported_media_type', 'The file was sent without a type and its bytes match no known format; send its real Content-Type.', {
      field: 'file',
      reason: 'unrecognised',
      declared: 'application/octet-stream',
      detected: null,
    });
  }
  return found;
}

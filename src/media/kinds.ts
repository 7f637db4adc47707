/** MIME types Intake accepts by default, their kinds, and how a browser may show them. */
import type { MediaKind } from '../config/config.js';

const DEFAULT_TYPES: Record<string, MediaKind> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'image/avif': 'image',
  // HEIC/HEIF: sharp reads their headers (dimensions) but its libvips cannot decode HEVC;
  // renditions decode them with libheif's heif-convert first (INTAKE_HEIF_CONVERT_PATH).
  'image/heic': 'image',
  'image/heif': 'image',
  // BMP is left out: the sharp build Intake ships cannot decode it, so it would always
  // fail verification. Allow it via INTAKE_ALLOWED_TYPES only with a libvips that can.
  'image/tiff': 'image',
  'image/svg+xml': 'image',
  'video/mp4': 'video',
  'video/quicktime': 'video',
  'video/webm': 'video',
  'video/x-matroska': 'video',
  'video/x-msvideo': 'video',
  'video/mpeg': 'video',
  'video/3gpp': 'video',
  'video/ogg': 'video',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/x-m4a': 'audio',
  'audio/aac': 'audio',
  'audio/aiff': 'audio',
  'audio/x-aiff': 'audio',
  'audio/wav': 'audio',
  'audio/x-wav': 'audio',
  'audio/ogg': 'audio',
  'audio/opus': 'audio',
  'audio/flac': 'audio',
  'audio/x-flac': 'audio',
  'audio/webm': 'audio',
  'audio/x-matroska': 'audio',
  'application/pdf': 'document',
  'text/plain': 'document',
  'text/csv': 'document',
  'text/markdown': 'document',
  'application/json': 'document',
  'application/zip': 'document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'document',
  'application/msword': 'document',
  'application/vnd.oasis.opendocument.text': 'document',
  'application/epub+zip': 'document',
};

/**
 * Containers named as video (by file-type, or by a browser for any `.webm`) that may hold
 * audio alone, and what such a file is called then: an Opus-only WebM is `audio/webm`.
 */
const AUDIO_FORMS: Record<string, string> = {
  'video/webm': 'audio/webm',
  'video/mp4': 'audio/mp4',
  'video/x-matroska': 'audio/x-matroska',
  'video/ogg': 'audio/ogg',
};

/** The audio type of a video container type that holds no video, or null when it has none. */
export function audioFormOf(mime: string): string | null {
  return AUDIO_FORMS[mime] ?? null;
}

/** Types whose bytes carry no magic number: checked as text instead of sniffed. */
export const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json']);

/** Shown inline by a browser without risk; everything else is served as an attachment. */
const INLINE_SAFE = /^(image\/(jpeg|png|gif|webp|avif|bmp)|video\/[a-z0-9.+-]+|audio\/[a-z0-9.+-]+|text\/plain|application\/pdf)$/;

export class MediaTypes {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedTypes: readonly string[] | null) {
    this.allowed = new Set(allowedTypes ?? Object.keys(DEFAULT_TYPES));
  }

  /** Every accepted type, sorted. */
  list(): string[] {
    return [...this.allowed].sort();
  }

  isAllowed(mime: string): boolean {
    return this.allowed.has(mime);
  }

  /** The kind a MIME type belongs to, by table or by its top-level type. */
  kindOf(mime: string): MediaKind {
    const known = DEFAULT_TYPES[mime];
    if (known) return known;
    const top = mime.split('/')[0];
    if (top === 'image' || top === 'video' || top === 'audio') return top;
    return 'document';
  }
}

/** Lower-cased media type without parameters (`Image/JPEG; q=1` → `image/jpeg`). */
export function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function dispositionFor(mime: string): 'inline' | 'attachment' {
  return INLINE_SAFE.test(mime) ? 'inline' : 'attachment';
}

/**
 * What the bytes really are, from their first few KiB. file-type knows binary formats;
 * text and SVG carry no magic number and get checks of their own.
 */
import { fileTypeFromBuffer } from 'file-type';
import { essence, TEXT_TYPES } from './kinds.js';

/** How many leading bytes sniffing needs. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * The detected MIME type, or null when the bytes match no format we know. Declared text is
 * checked as text first: a CSV row starting `BMW,` or `MZ` or `ID3` would otherwise match a
 * binary format's short magic number, and real binary files are never valid UTF-8 without NUL.
 */
export async function sniffType(head: Buffer, declared: string): Promise<string | null> {
  if (TEXT_TYPES.has(declared) && looksLikeText(head)) return declared;
  const detected = await fileTypeFromBuffer(head);
  if (detected) {
    if (detected.mime === 'application/xml' && declared === 'image/svg+xml') return looksLikeSvg(head) ? 'image/svg+xml' : null;
    return normalise(detected.mime, declared);
  }
  if (declared === 'image/svg+xml') return looksLikeSvg(head) ? 'image/svg+xml' : null;
  return null;
}

/** file-type's names where they differ from the registered or common ones Intake lists. */
const ALIASES: Record<string, string> = {
  'audio/x-flac': 'audio/flac',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-aiff': 'audio/aiff',
  'video/vnd.avi': 'video/x-msvideo',
  'video/matroska': 'video/x-matroska',
  'video/mp1s': 'video/mpeg',
  'video/mp2p': 'video/mpeg',
  'video/mp2t': 'video/mpeg',
};

/**
 * Sub-types named by their family, unless the upload declared the sub-type itself: an
 * animated PNG is a PNG to every PNG decoder, and an `M4V ` brand is an MP4 with Apple's brand.
 */
const FAMILIES: Record<string, string> = {
  'image/apng': 'image/png',
  'video/x-m4v': 'video/mp4',
};

/** Bare, lower-case, and named as in src/media/kinds.ts (`audio/ogg; codecs=opus` → `audio/ogg`). */
function normalise(mime: string, declared: string): string {
  const bare = essence(mime);
  // Legacy Office files are OLE compound files; the declared type says which kind.
  if (bare === 'application/x-cfb' && CFB_TYPES.has(declared)) return declared;
  if (FAMILIES[bare] && declared !== bare) return FAMILIES[bare];
  return ALIASES[bare] ?? bare;
}

const CFB_TYPES = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);

function looksLikeSvg(head: Buffer): boolean {
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return /^(<\?xml|<svg|<!--|<!DOCTYPE svg)/i.test(text) && /<svg[\s>]/i.test(text);
}

/** UTF-8 without NUL bytes; a multi-byte character cut at the end of the sample is fine. */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(head));
    return true;
  } catch {
    return false;
  }
}

function trimPartialUtf8(buf: Buffer): Buffer {
  let i = buf.length - 1;
  let back = 0;
  while (i >= 0 && back < 4 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return buf;
  const lead = buf[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > back + 1 ? buf.subarray(0, i) : buf;
}

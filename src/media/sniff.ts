/**
 * What the bytes really are, from their first few KiB. file-type knows binary formats;
 * text and SVG carry no magic number and get checks of their own.
 */
import { createGunzip } from 'node:zlib';
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
  // Loaded on first use: an idle server (and every CLI command) never needs its signature tables.
  const { fileTypeFromBuffer } = await import('file-type');
  const detected = await fileTypeFromBuffer(head);
  if (detected) {
    if (detected.mime === 'application/xml' && declared === 'image/svg+xml') return looksLikeSvg(head) ? 'image/svg+xml' : null;
    // An .svgz is a gzip-compressed SVG: declared as SVG (or sent untyped), the SVG inside is what counts.
    if (detected.mime === 'application/gzip' && SVGZ_DECLARED.has(declared) && looksLikeSvg(await inflatedHead(head, SVG_SNIFF_BYTES))) return 'image/svg+xml';
    return normalise(detected.mime, declared);
  }
  if (isWave64(head)) return 'audio/wav';
  if (declared === 'image/svg+xml') return looksLikeSvg(head) ? 'image/svg+xml' : null;
  return null;
}

/** The declared types under which gzip bytes are looked into for an SVG. */
const SVGZ_DECLARED = new Set(['image/svg+xml', 'application/octet-stream', '']);

/** How much of an .svgz is inflated to see whether it is an SVG. */
const SVG_SNIFF_BYTES = 16 * 1024;

/**
 * WAV with 64-bit sizes: RF64 (EBU Tech 3306; ffmpeg's `-rf64 always`) and BW64 (ITU-R
 * BS.2088) start `RF64`/`BW64` instead of `RIFF`, then `WAVE`. file-type knows neither;
 * ffmpeg's WAV demuxer reads both.
 */
function isWave64(head: Buffer): boolean {
  if (head.length < 12) return false;
  const magic = head.toString('latin1', 0, 4);
  return (magic === 'RF64' || magic === 'BW64') && head.toString('latin1', 8, 12) === 'WAVE';
}

/**
 * The first `max` bytes a gzip stream inflates to: fewer when it ends (or breaks, or is cut
 * short, as a file's first bytes are) before. Inflating stops there, so a gzip bomb costs
 * no more than `max`.
 */
export function inflatedHead(gz: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      gunzip.destroy();
      resolve(Buffer.concat(chunks).subarray(0, max));
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= max) finish();
    });
    gunzip.once('end', finish);
    gunzip.once('error', finish);
    gunzip.once('close', finish);
    gunzip.end(gz);
  });
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
  // HEIC is HEIF with HEVC inside: either name fits the same bytes.
  if (HEIF.has(bare) && HEIF.has(declared)) return declared;
  return ALIASES[bare] ?? bare;
}

const HEIF = new Set(['image/heic', 'image/heif']);

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

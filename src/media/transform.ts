/**
 * Image transform parameters (`width`, `height`, `fit`, `format`, `quality`, `dpr`, and for
 * a video `time`): their bounds, the one normal form a cache key and a signature are made
 * of, and `format=auto` chosen from the request's Accept header. Pure.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { RenderFit, RenderFormat, RenderSpec } from './render-child.js';

export const TRANSFORM_FITS = ['cover', 'contain', 'inside', 'fill'] as const satisfies readonly RenderFit[];
export const TRANSFORM_FORMATS = ['webp', 'avif', 'jpeg', 'png'] as const satisfies readonly RenderFormat[];
/** The largest side a transform may ask for, after `dpr`: past it a request is a 400, not a huge render. */
export const MAX_TRANSFORM_SIDE = 4096;

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** A transform as asked for (query string, preset): every field optional. The one schema of it: routes and presets validate with it. */
export const TransformFields = Type.Object(
  {
    width: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TRANSFORM_SIDE, description: 'Box width in CSS pixels (× dpr).' })),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TRANSFORM_SIDE, description: 'Box height in CSS pixels (× dpr).' })),
    fit: Type.Optional(literals(TRANSFORM_FITS)),
    format: Type.Optional(Type.Union([Type.Literal('auto'), literals(TRANSFORM_FORMATS)], { description: 'auto: AVIF or WebP by the request\'s Accept, else JPEG (the default).' })),
    quality: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    dpr: Type.Optional(Type.Number({ minimum: 1, maximum: 4 })),
    time: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400, description: 'Videos: seconds in (default: the poster\'s moment, a quarter in).' })),
  },
  { additionalProperties: false },
);
export type TransformParams = Static<typeof TransformFields>;

/** A transform in its normal form: `format` still may be `auto` (chosen per request). */
export interface Transform {
  width: number | null;
  height: number | null;
  fit: RenderFit;
  format: RenderFormat | 'auto';
  quality: number;
  time: number | null;
}

/** Why a parameter is refused: the field and a sentence. */
export class TransformError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const side = (v: number | undefined, dpr: number, field: string): number | null => {
  if (v === undefined) return null;
  const px = Math.round(v * dpr);
  if (!Number.isInteger(v) || v < 1 || px > MAX_TRANSFORM_SIDE) throw new TransformError(field, `${field} × dpr must be a whole number of pixels from 1 to ${MAX_TRANSFORM_SIDE}.`);
  return px;
};

/** Checks and normalises: `dpr` multiplies the sizes and disappears, defaults are filled in. */
export function normalizeTransform(p: TransformParams): Transform {
  const dpr = p.dpr ?? 1;
  if (!(dpr >= 1 && dpr <= 4)) throw new TransformError('dpr', 'dpr must be from 1 to 4.');
  if (p.fit !== undefined && !TRANSFORM_FITS.includes(p.fit)) throw new TransformError('fit', `fit must be one of ${TRANSFORM_FITS.join(', ')}.`);
  if (p.format !== undefined && p.format !== 'auto' && !TRANSFORM_FORMATS.includes(p.format)) throw new TransformError('format', `format must be auto or one of ${TRANSFORM_FORMATS.join(', ')}.`);
  const quality = p.quality ?? 80;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new TransformError('quality', 'quality must be a whole number from 1 to 100.');
  if (p.time !== undefined && !(Number.isFinite(p.time) && p.time >= 0 && p.time <= 86_400)) throw new TransformError('time', 'time must be seconds from 0 to 86400.');
  return {
    width: side(p.width, dpr, 'width'),
    height: side(p.height, dpr, 'height'),
    fit: p.fit ?? (p.width !== undefined && p.height !== undefined ? 'cover' : 'inside'),
    format: p.format ?? 'auto',
    quality,
    time: p.time === undefined ? null : Math.round(p.time * 1000) / 1000,
  };
}

/** The format served for `auto`: AVIF when the client says it takes it, else WebP when it does, else JPEG. */
export function negotiateFormat(format: Transform['format'], accept: string | undefined): RenderFormat {
  if (format !== 'auto') return format;
  const a = (accept ?? '').toLowerCase();
  if (a.includes('image/avif')) return 'avif';
  if (a.includes('image/webp')) return 'webp';
  return 'jpeg';
}

/** The canonical text of a transform (what a signature covers), `auto` kept as asked. */
export function canonicalTransform(t: Transform): string {
  return [t.width ?? '', t.height ?? '', t.fit, t.format, t.quality, t.time ?? ''].join(',');
}

/** The query string of a transform, in a fixed order (what a signed URL carries). */
export function transformQuery(t: Transform): URLSearchParams {
  const q = new URLSearchParams();
  if (t.width !== null) q.set('width', String(t.width));
  if (t.height !== null) q.set('height', String(t.height));
  q.set('fit', t.fit);
  q.set('format', t.format);
  q.set('quality', String(t.quality));
  if (t.time !== null) q.set('time', String(t.time));
  return q;
}

/** The render of a transform in a concrete format, named by a digest of what makes its bytes (the cache key's last part). */
export function renderSpecOf(t: Transform, format: RenderFormat): RenderSpec {
  const name = createHash('sha256').update(`${canonicalTransform({ ...t, format })}`).digest('hex').slice(0, 24);
  return { name, width: t.width, height: t.height, fit: t.fit, format, quality: t.quality };
}

export const FORMAT_MIMETYPES: Record<RenderFormat, string> = { webp: 'image/webp', avif: 'image/avif', jpeg: 'image/jpeg', png: 'image/png' };

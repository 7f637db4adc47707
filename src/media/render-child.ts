/**
 * The image renderer's child process (media/image-renditions.ts starts it, niced and under
 * its memory cap): `render-child <input> <outDir> <maxPixels> <job JSON>` writes one file
 * per spec into outDir (`<name>.<format>`), computes the placeholder when asked, and
 * prints what it made as JSON. An entry, never imported (the parent imports its types
 * only): it loads sharp and thumbhash and nothing of the project.
 *
 * HEVC-coded HEIF (HEIC) is first decoded to PNG by libheif's heif-convert (argv 5), run
 * from here so it inherits this process's memory cap; its pixel count is checked first.
 *
 * Exit 2: sharp refused the image itself; 3: a system error (the error has a code); 1: it
 * crashed or could not start (sharp did not load). The message is on stderr.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

// Types only here: a value the parent imported from this file would run it (media/transform.ts has the lists).
export type RenderFormat = 'webp' | 'avif' | 'jpeg' | 'png';
export type RenderFit = 'cover' | 'contain' | 'inside' | 'fill';

/** One image to make: the source auto-oriented, resized into width × height by `fit` (never enlarged), encoded as `format`. */
export interface RenderSpec {
  /** The file's name in outDir, before `.<format>`. */
  name: string;
  width: number | null;
  height: number | null;
  fit: RenderFit;
  format: RenderFormat;
  quality: number;
}

/** What the child is asked to do: the specs, and whether to compute the placeholder. */
export interface RenderJob {
  specs: RenderSpec[];
  placeholder: boolean;
}

/** One image made. */
export interface Rendered {
  name: string;
  file: string;
  width: number;
  height: number;
  size: number;
}

/** A ThumbHash (base64) and the dominant colour (`#rrggbb`) of the image. */
export interface Placeholder {
  thumbhash: string;
  color: string;
}

/** What the child prints on stdout. */
export interface RenderResult {
  renditions: Rendered[];
  placeholder: Placeholder | null;
}

// The parent's IPC channel closes when the worker dies (even by SIGKILL): stop with it
// rather than render on as an orphan. By SIGKILL to itself: process.exit() runs libvips'
// exit handler, which waits for the resize in flight to finish (and write its file).
// Unref'd, so it never keeps a finished child alive. Before sharp loads, so a parent that
// dies meanwhile is not missed. And one already gone: loading an ES module turns the event
// loop, which may have seen the channel close (and emitted 'disconnect') before this runs.
// `connected` is then false (undefined when run by hand, without a channel).
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
if (process.connected === false) process.kill(process.pid, 'SIGKILL');
(process.channel as { unref?: () => void } | undefined)?.unref?.();

const [input, outDir, maxPixels, jobJson, heifConvert = 'heif-convert'] = process.argv.slice(2);
if (input === undefined || outDir === undefined || maxPixels === undefined || jobJson === undefined) {
  throw new Error('usage: render-child <input> <outDir> <maxPixels> <job JSON> [heif-convert]');
}
// Outside the try below: sharp failing to load is no verdict on the image (exit 1, as any crash).
const { default: sharp } = await import('sharp');
const { rgbaToThumbHash } = await import('thumbhash');
sharp.concurrency(1);

/** The file sharp can decode: `input`, or a PNG heif-convert made of an HEVC-coded HEIF. */
async function decodable(file: string): Promise<string> {
  const meta = await sharp(file).metadata().catch(() => null);
  if (meta?.format !== 'heif' || meta.compression !== 'hevc') return file;
  if ((meta.width ?? 0) * (meta.height ?? 0) > Number(maxPixels)) throw Object.assign(new Error('Input image exceeds pixel limit'), { code: undefined });
  const png = `${outDir}/decoded.png`;
  try {
    await promisify(execFile)(heifConvert, [file, png], { timeout: 0 });
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string; message: string };
    // Not found (ENOENT) is the machine's fault; a non-zero exit is the file's.
    throw Object.assign(new Error(`heif-convert: ${(e.stderr || e.message).trim().split('\n')[0]}`), { code: typeof e.code === 'string' ? e.code : undefined });
  }
  return png;
}

let source = input;
const open = () => sharp(source, { failOn: 'error', limitInputPixels: Number(maxPixels), pages: 1 }).rotate();

/** ThumbHash wants at most 100 × 100 RGBA; the dominant colour comes from the same small copy. */
async function placeholderOf(): Promise<Placeholder> {
  const { data, info } = await open().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const hash = rgbaToThumbHash(info.width, info.height, data);
  const { dominant } = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).stats();
  const hex = [dominant.r, dominant.g, dominant.b].map((c) => c.toString(16).padStart(2, '0')).join('');
  return { thumbhash: Buffer.from(hash).toString('base64'), color: `#${hex}` };
}

try {
  const job = JSON.parse(jobJson) as RenderJob;
  source = await decodable(input);
  const renditions: Rendered[] = [];
  for (const spec of job.specs) {
    const file = `${outDir}/${spec.name}.${spec.format}`;
    const resized = spec.width || spec.height ? open().resize({ width: spec.width ?? undefined, height: spec.height ?? undefined, fit: spec.fit, withoutEnlargement: true }) : open();
    const info = await resized.toFormat(spec.format, { quality: spec.quality }).toFile(file);
    renditions.push({ name: spec.name, file, width: info.width, height: info.height, size: info.size });
  }
  const result: RenderResult = { renditions, placeholder: job.placeholder ? await placeholderOf() : null };
  if (source !== input) await rm(source, { force: true });
  process.stdout.write(JSON.stringify(result));
} catch (err) {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  process.stderr.write(String(e?.message || err));
  process.exit(e?.code ? 3 : 2);
}

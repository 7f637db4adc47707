/**
 * The image renderer's child process (media/image-renditions.ts starts it, niced and under
 * its memory cap): `render-child <input> <outDir> <maxPixels> <specs JSON>` writes one WebP
 * per spec into outDir and prints what it wrote as JSON. An entry, never imported (the
 * parent imports its types only): it loads sharp and nothing of the project.
 *
 * Exit 2: sharp refused the image itself; 3: a system error (the error has a code); 1: it
 * crashed or could not start (sharp did not load). The message is on stderr.
 *
 * HEVC-coded HEIF (HEIC) is first decoded to PNG by libheif's heif-convert (argv 5), run
 * from here so it inherits this process's memory cap; its pixel count is checked first.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

/** One rendition to make: the image fits in `max` × `max`. */
export interface RenderSpec {
  label: 'thumbnail' | 'preview';
  max: number;
}

/** One rendition made, as printed on stdout (an array of them). */
export interface Rendered {
  label: RenderSpec['label'];
  file: string;
  width: number;
  height: number;
  size: number;
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

const [input, outDir, maxPixels, specs, heifConvert = 'heif-convert'] = process.argv.slice(2);
if (input === undefined || outDir === undefined || maxPixels === undefined || specs === undefined) {
  throw new Error('usage: render-child <input> <outDir> <maxPixels> <specs JSON>');
}
// Outside the try below: sharp failing to load is no verdict on the image (exit 1, as any crash).
const { default: sharp } = await import('sharp');
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

try {
  const out: Rendered[] = [];
  const source = await decodable(input);
  for (const { label, max } of JSON.parse(specs) as RenderSpec[]) {
    const file = `${outDir}/${label}.webp`;
    const info = await sharp(source, { failOn: 'error', limitInputPixels: Number(maxPixels), pages: 1 })
      .rotate()
      .resize({ width: max, height: max, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toFile(file);
    out.push({ label, file, width: info.width, height: info.height, size: info.size });
  }
  if (source !== input) await rm(source, { force: true });
  process.stdout.write(JSON.stringify(out));
} catch (err) {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  process.stderr.write(String(e?.message || err));
  process.exit(e?.code ? 3 : 2);
}

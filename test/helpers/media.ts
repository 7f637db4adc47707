/** Small real media, generated per run: sharp for images, ffmpeg for audio and video. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

export async function png(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } }).png().toBuffer();
}

export async function jpeg(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 20, g: 80, b: 200 } } }).jpeg().toBuffer();
}

/** A one-second (by default) MP4 with H.264 and AAC, or an MP3. */
export async function ffmpegMedia(kind: 'mp4' | 'mp3', seconds = 1): Promise<Buffer> {
  return avClip(kind, seconds);
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Every container/codec the media-type suite generates with ffmpeg, by file extension. */
export const AV_FORMATS = {
  mp4: { kind: 'video', encoders: ['libx264', 'aac'] },
  mov: { kind: 'video', encoders: ['libx264'] },
  webm: { kind: 'video', encoders: ['libvpx'] },
  mkv: { kind: 'video', encoders: ['libx264'] },
  avi: { kind: 'video', encoders: ['mpeg4'] },
  mpg: { kind: 'video', encoders: ['mpeg1video'] },
  mp3: { kind: 'audio', encoders: ['libmp3lame'] },
  wav: { kind: 'audio', encoders: ['pcm_s16le'] },
  ogg: { kind: 'audio', encoders: ['libvorbis'] },
  opus: { kind: 'audio', encoders: ['libopus'] },
  flac: { kind: 'audio', encoders: ['flac'] },
  aac: { kind: 'audio', encoders: ['aac'] },
  m4a: { kind: 'audio', encoders: ['aac'] },
  ts: { kind: 'video', encoders: ['libx264'] },
  '3gp': { kind: 'video', encoders: ['libx264'] },
  ogv: { kind: 'video', encoders: ['libtheora'] },
  aiff: { kind: 'audio', encoders: ['pcm_s16be'] },
  weba: { kind: 'audio', encoders: ['libopus'] },
  mka: { kind: 'audio', encoders: ['libopus'] },
  bmp: { kind: 'image', encoders: ['bmp'] },
} as const;
export type AvFormat = keyof typeof AV_FORMATS;

/** Video clips (and the BMP still) are 160x120 at 25 fps; audio is a 440 Hz sine. */
export const CLIP = { width: 160, height: 120, fps: 25 } as const;

function avArgs(format: AvFormat, seconds: number): string[] {
  const video = ['-f', 'lavfi', '-i', `testsrc=size=${CLIP.width}x${CLIP.height}:rate=${CLIP.fps}:duration=${seconds}`];
  const sine = ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  switch (format) {
    case 'mp4':
      return [...video, ...sine, ...x264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart'];
    case 'mov':
      return [...video, ...x264, '-f', 'mov'];
    case 'webm':
      return [...video, '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'];
    case 'mkv':
      return [...video, ...x264, '-f', 'matroska'];
    case 'avi':
      return [...video, '-c:v', 'mpeg4', '-f', 'avi'];
    case 'mpg':
      return [...video, '-c:v', 'mpeg1video', '-f', 'mpeg'];
    case 'mp3':
      return [...sine, '-c:a', 'libmp3lame'];
    case 'wav':
      return [...sine, '-c:a', 'pcm_s16le', '-f', 'wav'];
    case 'ogg':
      return [...sine, '-c:a', 'libvorbis', '-f', 'ogg'];
    case 'opus':
      return [...sine, '-c:a', 'libopus', '-f', 'ogg'];
    case 'flac':
      return [...sine, '-c:a', 'flac', '-f', 'flac'];
    case 'aac':
      return [...sine, '-c:a', 'aac', '-f', 'adts'];
    case 'm4a':
      return [...sine, '-c:a', 'aac', '-f', 'ipod'];
    case 'ts':
      return [...video, ...x264, '-f', 'mpegts'];
    case '3gp':
      return [...video, ...x264, '-f', '3gp'];
    case 'ogv':
      return [...video, '-c:v', 'libtheora', '-q:v', '3', '-f', 'ogg'];
    case 'aiff':
      return [...sine, '-c:a', 'pcm_s16be', '-f', 'aiff'];
    case 'weba':
      return [...sine, '-c:a', 'libopus', '-f', 'webm'];
    case 'mka':
      return [...sine, '-c:a', 'libopus', '-f', 'matroska'];
    case 'bmp':
      return [...video, '-frames:v', '1', '-c:v', 'bmp', '-f', 'image2'];
  }
}

/** A short real clip (or, for bmp, one frame) in `format`, made by ffmpeg from its test sources. */
export async function avClip(format: AvFormat, seconds = 1): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-media-'));
  const out = path.join(dir, `clip.${format}`);
  try {
    await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...avArgs(format, seconds), out]);
    return await fs.readFile(out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

let encoderList: Promise<Set<string>> | undefined;

/** The encoders this ffmpeg was built with (empty when there is no ffmpeg). */
export function ffmpegEncoders(): Promise<Set<string>> {
  encoderList ??= run('ffmpeg', ['-hide_banner', '-encoders']).then(
    ({ stdout }) => new Set([...stdout.matchAll(/^ [A-Z.]{6} (\S+)/gm)].map((m) => m[1]!)),
    () => new Set<string>(),
  );
  return encoderList;
}

export type RasterFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'avif' | 'tiff';

/** A flat-coloured raster image in any format sharp writes. */
export async function raster(format: RasterFormat, width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 160, b: 90 } } }).toFormat(format).toBuffer();
}

export function svg(width = 64, height = 48): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect width="${width}" height="${height}" fill="#1e9c5a"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 4}" fill="#fff"/></svg>\n`,
  );
}

/** A one-page PDF saying "Intake", with a correct cross-reference table. */
export function pdf(): Buffer {
  const stream = 'BT /F1 24 Tf 72 720 Td (Intake) Tj ET';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A zip made by the `zip` command, entries in the given order (an entry named `mimetype`
 * is stored uncompressed, as EPUB and OpenDocument want); null when there is no `zip`.
 */
export async function zipFiles(entries: Array<[name: string, content: string]>): Promise<Buffer | null> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-zip-'));
  try {
    for (const [name, content] of entries) {
      await fs.mkdir(path.dirname(path.join(dir, 'in', name)), { recursive: true });
      await fs.writeFile(path.join(dir, 'in', name), content);
    }
    for (const [name] of entries) {
      await run('zip', ['-q', '-X', ...(name === 'mimetype' ? ['-0'] : []), '../out.zip', name], { cwd: path.join(dir, 'in') });
    }
    return await fs.readFile(path.join(dir, 'out.zip'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as { path?: string }).path === 'zip') return null;
    throw err;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function zipOf(name: string, content: string): Promise<Buffer | null> {
  return zipFiles([[name, content]]);
}

const OOXML = {
  docx: { dir: 'word', part: 'document', type: 'wordprocessingml.document' },
  xlsx: { dir: 'xl', part: 'workbook', type: 'spreadsheetml.sheet' },
  pptx: { dir: 'ppt', part: 'presentation', type: 'presentationml.presentation' },
} as const;

/** A skeletal Office Open XML package: content types, relationships, the main part. */
export function officeOpenXml(ext: keyof typeof OOXML): Promise<Buffer | null> {
  const { dir, part, type } = OOXML[ext];
  const main = `/${dir}/${part}.xml`;
  return zipFiles([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        `<Override PartName="${main}" ContentType="application/vnd.openxmlformats-officedocument.${type}.main+xml"/></Types>`,
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${main.slice(1)}"/></Relationships>`,
    ],
    [main.slice(1), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<${part}/>`],
  ]);
}

/** A skeletal OpenDocument text or EPUB: the stored `mimetype` entry first, then the rest. */
export function zippedDocument(kind: 'odt' | 'epub'): Promise<Buffer | null> {
  return kind === 'odt'
    ? zipFiles([['mimetype', 'application/vnd.oasis.opendocument.text'], ['content.xml', '<?xml version="1.0"?>\n<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>']])
    : zipFiles([['mimetype', 'application/epub+zip'], ['META-INF/container.xml', '<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"/>']]);
}

/**
 * The header sector of an OLE compound file (what legacy .doc/.xls/.ppt are), padded to
 * three sectors. Enough for type sniffing; not a document Word would open.
 */
export function compoundFile(): Buffer {
  const b = Buffer.alloc(3 * 512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(b, 0);
  b.writeUInt16LE(0x003e, 24); // minor version
  b.writeUInt16LE(0x0003, 26); // major version 3: 512-byte sectors
  b.writeUInt16LE(0xfffe, 28); // byte order
  b.writeUInt16LE(9, 30); // sector shift
  b.writeUInt16LE(6, 32); // mini sector shift
  b.writeUInt32LE(1, 44); // FAT sectors
  b.writeUInt32LE(1, 48); // first directory sector
  b.writeUInt32LE(0x1000, 56); // mini stream cutoff
  b.writeUInt32LE(0xfffffffe, 60); // no mini FAT
  b.writeUInt32LE(0xfffffffe, 68); // no DIFAT sectors
  b.fill(0xff, 76, 512); // DIFAT: unused
  b.writeUInt32LE(0, 76); // FAT in sector 0
  return b;
}

/**
 * A stand-in for a media tool at a path of its own, for INTAKE_FFPROBE_PATH or
 * INTAKE_FFMPEG_PATH: a shell script with `body`, or nothing there at all (null), until
 * `set` changes it. How tests stage a missing, hung or misbehaving tool.
 */
export interface FakeTool {
  readonly path: string;
  set(body: string | null): Promise<void>;
  remove(): Promise<void>;
}

export async function fakeTool(name: string, body: string | null = null): Promise<FakeTool> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-tool-'));
  const file = path.join(dir, name);
  const set = async (next: string | null) => {
    await fs.rm(file, { force: true });
    if (next !== null) await fs.writeFile(file, `#!/bin/sh\n${next}\n`, { mode: 0o755 });
  };
  await set(body);
  return { path: file, set, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/**
 * The file ffmpeg writes with `args` (inputs, codecs, muxer options) into a `.ext` output.
 * `files` are written first into ffmpeg's working folder, for inputs named in `args`.
 */
export async function ffmpegFile(args: string[], ext: string, files: Record<string, Buffer> = {}): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-media-'));
  try {
    for (const [name, bytes] of Object.entries(files)) await fs.writeFile(path.join(dir, name), bytes);
    await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args, `out.${ext}`], { cwd: dir });
    return await fs.readFile(path.join(dir, `out.${ext}`));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** An animated PNG (APNG): three frames of ffmpeg's test pattern. */
export function apng(width = 64, height = 48): Promise<Buffer> {
  return ffmpegFile(['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=5:duration=0.6`, '-f', 'apng', '-plays', '0'], 'png');
}

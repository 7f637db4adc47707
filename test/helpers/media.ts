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

export async function ffmpegMedia(kind: 'mp4' | 'mp3', seconds = 1): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-media-'));
  const out = path.join(dir, `clip.${kind}`);
  try {
    const args =
      kind === 'mp4'
        ? ['-f', 'lavfi', '-i', `testsrc=size=160x120:rate=25:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
           '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart']
        : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'libmp3lame'];
    await run('ffmpeg', ['-v', 'error', '-y', ...args, out]);
    return await fs.readFile(out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Small, distinct media for the scale-out proof: every upload's bytes differ (no dedupe). */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);
const MIB = 1024 * 1024;

export type Kind = 'image' | 'video' | 'resumable';

export interface Media {
  kind: Kind;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A PNG of random size and colour. */
async function image(i: number): Promise<Media> {
  const [r, g, b] = randomBytes(3);
  const bytes = await sharp({ create: { width: 40 + (i % 50), height: 30 + ((i * 7) % 40), channels: 3, background: { r: r!, g: g!, b: b! } } })
    .png()
    .toBuffer();
  return { kind: 'image', filename: `img-${i}.png`, contentType: 'image/png', bytes };
}

/** Half a second of H.264/AAC at 160×120 from ffmpeg's test sources, tagged with `i` so each differs. */
async function video(i: number): Promise<Media> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-scale-clip-'));
  const file = path.join(dir, 'clip.mp4');
  try {
    await run('ffmpeg', [
      '-v', 'error', '-nostdin',
      '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=0.5',
      '-f', 'lavfi', '-i', `sine=frequency=${200 + i}:sample_rate=22050:duration=0.5`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      '-metadata', `comment=scale-${i}-${randomBytes(4).toString('hex')}`,
      '-movflags', '+faststart', file,
    ]);
    return { kind: 'video', filename: `clip-${i}.mp4`, contentType: 'video/mp4', bytes: await fs.readFile(file) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** 10.5 MiB of text: a resumable session of three parts (5 + 5 + 0.5 MiB). */
function resumable(i: number): Media {
  const bytes = Buffer.alloc(10 * MIB + MIB / 2, `line ${i} ${randomBytes(8).toString('hex')}\n`);
  return { kind: 'resumable', filename: `big-${i}.txt`, contentType: 'text/plain', bytes };
}

/** Upload `i` of a run: mostly images, some videos, a few resumable ones. */
export function media(kind: Kind, i: number): Promise<Media> {
  if (kind === 'image') return image(i);
  if (kind === 'video') return video(i);
  return Promise.resolve(resumable(i));
}

/** The kinds of a run of `n` uploads: 1 in 4 a video, 1 in 10 resumable (at least one of each). */
export function plan(n: number): Kind[] {
  return Array.from({ length: n }, (_, i) => (i % 10 === 3 ? 'resumable' : i % 4 === 1 ? 'video' : 'image'));
}

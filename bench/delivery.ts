/**
 * `npm run bench -- delivery`: (1) the MP4 ladder alone vs the ladder + HLS in the same
 * ffmpeg run (src/media/renditions.ts, the job's own arguments; goal ≤ 1.10×); (2) a first
 * transform, 1280 px JPEG → 320 px WebP, in the renderer child transforms use
 * (media/image-renditions.ts: spawn, sharp load, render) vs a plain script doing the same
 * sharp call (goal ≤ 1.3×). Small sizes, alternating runs, medians.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { renderImage } from '../src/media/image-renditions.js';
import { ladderFor, videoLadderArgs } from '../src/media/renditions.js';

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', 'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y', '-protocol_whitelist', 'file', ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export interface DeliveryResult {
  ladderSeconds: number;
  ladderHlsSeconds: number;
  hlsRatio: number;
  transformSeconds: number;
  directSharpSeconds: number;
  transformRatio: number;
}

export async function benchDelivery(runs = 3): Promise<DeliveryResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-bench-delivery-'));
  try {
    const clip = path.join(dir, 'clip.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30:duration=8', '-f', 'lavfi', '-i', 'sine=duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
    const rungs = ladderFor(480, [480, 360, 240]).map((h) => ({ label: `${h}p`, height: h, file: path.join(dir, `${h}p.mp4`) }));
    const hlsDir = path.join(dir, 'hls');
    const ladder: number[] = [];
    const withHls: number[] = [];
    for (let i = 0; i < runs; i++) {
      ladder.push(await timed(() => ffmpeg(['-f', 'mov', '-i', `file:${clip}`, ...videoLadderArgs(rungs, true)])));
      await fs.rm(hlsDir, { recursive: true, force: true });
      for (const sub of [...rungs.map((r) => r.label), 'audio']) await fs.mkdir(path.join(hlsDir, sub), { recursive: true });
      withHls.push(await timed(() => ffmpeg(['-f', 'mov', '-i', `file:${clip}`, ...videoLadderArgs(rungs, true, hlsDir)])));
    }
    const jpeg = path.join(dir, 'in.jpg');
    await sharp({ create: { width: 1280, height: 853, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 85 }).toFile(jpeg);
    const script = path.join(dir, 'direct.mjs');
    await fs.writeFile(script, `import sharp from ${JSON.stringify(import.meta.resolve('sharp'))};\nawait sharp(process.argv[2]).rotate().resize({ width: 320, height: 320, fit: 'inside' }).webp({ quality: 80 }).toFile(process.argv[3]);\n`);
    const transform: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      transform.push(await timed(() => renderImage(jpeg, dir, { specs: [{ name: `t${i}`, width: 320, height: 320, fit: 'inside', format: 'webp', quality: 80 }], placeholder: false }, { maxPixels: 1e8, memoryMb: 2048, cpuMs: 60_000 })));
      direct.push(await timed(() => run('nice', ['-n', '19', process.execPath, script, jpeg, path.join(dir, `d${i}.webp`)])));
    }
    const r = { ladderSeconds: median(ladder), ladderHlsSeconds: median(withHls), transformSeconds: median(transform), directSharpSeconds: median(direct) };
    return { ...r, hlsRatio: r.ladderHlsSeconds / r.ladderSeconds, transformRatio: r.transformSeconds / r.directSharpSeconds };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function deliverySummary(d: DeliveryResult): string {
  const line = (name: string, ratio: number, goal: string, met: boolean) => `  [${met ? 'PASS' : 'FAIL'}] ${name}: ${ratio.toFixed(2)}x (goal ${goal})`;
  return [
    'Delivery',
    `  ladder 480/360/240 of an 8 s 480p clip: ${d.ladderSeconds.toFixed(2)} s alone, ${d.ladderHlsSeconds.toFixed(2)} s with HLS in the same run`,
    `  1280 px JPEG → 320 px WebP: ${(d.transformSeconds * 1000).toFixed(0)} ms in the transform child, ${(d.directSharpSeconds * 1000).toFixed(0)} ms in a plain sharp script`,
    line('ladder + HLS vs ladder alone', d.hlsRatio, '≤ 1.10x', d.hlsRatio <= 1.1),
    line('first transform vs direct sharp', d.transformRatio, '≤ 1.3x', d.transformRatio <= 1.3),
  ].join('\n');
}

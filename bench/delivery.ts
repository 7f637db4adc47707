/**
 * `npm run bench -- delivery`: (1) the MP4 ladder alone vs the ladder + HLS in the same
 * ffmpeg run (src/media/renditions.ts, the job's own arguments; goal ≤ 1.10×), on the clock
 * and in ffmpeg's CPU time; (2) a first transform, 1280 px JPEG → 320 px WebP, in the
 * renderer child transforms use (media/image-renditions.ts: spawn, sharp load, render) vs a
 * plain script doing the same sharp call (goal ≤ 1.3×); (3) a cached transform served by a
 * running Intake (its signed `/t/` URL, rendered once before) vs an original of the same
 * bytes served by its signed `/files/` URL, requests per second under autocannon
 * (goal ≥ 0.8×). Small sizes, alternating runs, medians.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { renderImage } from '../src/media/image-renditions.js';
import { ladderFor, videoLadderArgs } from '../src/media/renditions.js';
import { cpuSeconds, type Cleanup } from './lib/children.js';
import { createSession, startIntake, type IntakeServer } from './intake.js';

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs ffmpeg; resolves with the CPU seconds it used (user + system, from `time`). */
function ffmpeg(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', '/usr/bin/time', '-f', 'cpu %U %S', 'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y', '-protocol_whitelist', 'file', ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => {
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code === 0 && cpu) resolve(Number(cpu[1]) + Number(cpu[2]));
      else reject(new Error(`ffmpeg exited ${code}: ${err}`));
    });
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
  ladderCpu: number;
  ladderHlsCpu: number;
  hlsCpuRatio: number;
  cached: CachedResult;
  transformSeconds: number;
  directSharpSeconds: number;
  transformRatio: number;
}

export async function benchDelivery(cleanup: Cleanup, runs = 5): Promise<DeliveryResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-bench-delivery-'));
  try {
    const clip = path.join(dir, 'clip.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30:duration=8', '-f', 'lavfi', '-i', 'sine=duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
    const rungs = ladderFor(480, [480, 360, 240]).map((h) => ({ label: `${h}p`, height: h, file: path.join(dir, `${h}p.mp4`) }));
    const hlsDir = path.join(dir, 'hls');
    const ladder: number[] = [];
    const withHls: number[] = [];
    const ladderCpu: number[] = [];
    const withHlsCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      ladder.push(await timed(async () => ladderCpu.push(await ffmpeg(['-f', 'mov', '-i', `file:${clip}`, ...videoLadderArgs(rungs, true)]))));
      await fs.rm(hlsDir, { recursive: true, force: true });
      for (const sub of [...rungs.map((r) => r.label), 'audio']) await fs.mkdir(path.join(hlsDir, sub), { recursive: true });
      withHls.push(await timed(async () => withHlsCpu.push(await ffmpeg(['-f', 'mov', '-i', `file:${clip}`, ...videoLadderArgs(rungs, true, hlsDir)]))));
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
    const cached = await benchCachedTransform(cleanup, jpeg, runs);
    const r = { ladderSeconds: median(ladder), ladderHlsSeconds: median(withHls), ladderCpu: median(ladderCpu), ladderHlsCpu: median(withHlsCpu), transformSeconds: median(transform), directSharpSeconds: median(direct) };
    return { ...r, cached, hlsRatio: r.ladderHlsSeconds / r.ladderSeconds, hlsCpuRatio: r.ladderHlsCpu / r.ladderCpu, transformRatio: r.transformSeconds / r.directSharpSeconds };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface CachedResult {
  bytes: number;
  transformRps: number;
  originalRps: number;
  ratio: number;
  /** Intake's CPU per request, µs. */
  transformCpuUs: number;
  originalCpuUs: number;
}

const LOAD_SECONDS = 3;
const CONNECTIONS = 8;

async function api(intake: IntakeServer, method: string, route: string, json?: unknown): Promise<any> {
  const res = await fetch(intake.url + route, { method, headers: { authorization: `Bearer ${intake.key}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined });
  const body = (await res.json()) as { data: unknown };
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** Uploads `bytes` as an image and waits until its renditions are made (no job runs during the load). */
async function uploadImage(intake: IntakeServer, bytes: Buffer, filename: string, type: string): Promise<any> {
  const session = await createSession(intake, filename, type, bytes.length);
  const put = await fetch(session.upload_url, { method: 'PUT', headers: session.upload_method.headers, body: bytes });
  if (put.status !== 200) throw new Error(`PUT ${put.status}`);
  const { asset } = await api(intake, 'POST', `/v1/uploads/${session.id}/complete`, {});
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const a = await api(intake, 'GET', `/v1/assets/${asset.id}`);
    if (a.status === 'ready' && a.sources.length >= 3) return a;
  }
  throw new Error(`${filename}: renditions not made in time`);
}

async function load(intake: IntakeServer, url: string): Promise<{ rps: number; cpuUs: number }> {
  const cpu0 = await cpuSeconds(intake.pid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: LOAD_SECONDS });
  const cpu = (await cpuSeconds(intake.pid)) - cpu0;
  if (r.non2xx || r.errors) {
    const res = await fetch(url);
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors; now ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
  return { rps: r.requests.total / LOAD_SECONDS, cpuUs: (cpu / r.requests.total) * 1e6 };
}

/** A cached transform (320 px WebP of the JPEG, rendered once first) vs an original of exactly its bytes. */
async function benchCachedTransform(cleanup: Cleanup, jpeg: string, runs: number): Promise<CachedResult> {
  // Unkeyed delivery (/files/, /t/) has a per-address limit; one client here sends thousands a second.
  const intake = await startIntake(cleanup, { INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE: '100000000' });
  const photo = await uploadImage(intake, await fs.readFile(jpeg), 'photo.jpg', 'image/jpeg');
  const { url: transformUrl } = await api(intake, 'GET', `/v1/assets/${photo.id}/url?width=320&format=webp`);
  const rendered = Buffer.from(await (await fetch(transformUrl)).arrayBuffer());
  const original = await uploadImage(intake, rendered, 'same.webp', 'image/webp');
  const sides = { transform: [] as Array<{ rps: number; cpuUs: number }>, original: [] as Array<{ rps: number; cpuUs: number }> };
  // Warm-up of both routes: JIT, file cache.
  await load(intake, original.url);
  await load(intake, transformUrl);
  for (let i = 0; i < runs; i++) {
    sides.transform.push(await load(intake, transformUrl));
    sides.original.push(await load(intake, original.url));
  }
  await intake.stop();
  const m = (xs: Array<{ rps: number; cpuUs: number }>, k: 'rps' | 'cpuUs') => median(xs.map((x) => x[k]));
  const transformRps = m(sides.transform, 'rps');
  const originalRps = m(sides.original, 'rps');
  return { bytes: rendered.length, transformRps, originalRps, ratio: transformRps / originalRps, transformCpuUs: m(sides.transform, 'cpuUs'), originalCpuUs: m(sides.original, 'cpuUs') };
}

export function deliverySummary(d: DeliveryResult): string {
  const line = (name: string, ratio: number, goal: string, met: boolean) => `  [${met ? 'PASS' : 'FAIL'}] ${name}: ${ratio.toFixed(2)}x (goal ${goal})`;
  const c = d.cached;
  return [
    'Delivery',
    `  ladder 480/360/240 of an 8 s 480p clip: ${d.ladderSeconds.toFixed(2)} s alone, ${d.ladderHlsSeconds.toFixed(2)} s with HLS in the same run (ffmpeg CPU ${d.ladderCpu.toFixed(2)} s, ${d.ladderHlsCpu.toFixed(2)} s: ${d.hlsCpuRatio.toFixed(2)}x)`,
    `  1280 px JPEG → 320 px WebP: ${(d.transformSeconds * 1000).toFixed(0)} ms in the transform child, ${(d.directSharpSeconds * 1000).toFixed(0)} ms in a plain sharp script`,
    `  ${c.bytes} B served, ${CONNECTIONS} connections: cached transform ${c.transformRps.toFixed(0)} req/s (${c.transformCpuUs.toFixed(0)} µs CPU each), original ${c.originalRps.toFixed(0)} req/s (${c.originalCpuUs.toFixed(0)} µs)`,
    line('ladder + HLS vs ladder alone', d.hlsRatio, '≤ 1.10x', d.hlsRatio <= 1.1),
    line('first transform vs direct sharp', d.transformRatio, '≤ 1.3x', d.transformRatio <= 1.3),
    line('cached transform vs original of the same size', c.ratio, '≥ 0.8x', c.ratio >= 0.8),
  ].join('\n');
}

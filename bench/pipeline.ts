/**
 * Benchmark 5: the processing pipeline. A 30 s 1080p H.264/AAC clip goes through Intake
 * (PUT, complete, the job: probe, the ladder transcode, the poster, probes of every
 * rendition, storing them) and, in the same run, the very same ffmpeg command lines
 * (src/media/renditions.ts, under the same `nice`) run directly. Then the latency of
 * POST /v1/uploads at a fixed load, idle versus while a transcode of the clip runs.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { ladderFor, posterArgs, posterAt, videoLadderArgs } from '../src/media/renditions.js';
import type { Cleanup } from './lib/children.js';
import { createSession, type IntakeServer } from './intake.js';

const run = promisify(execFile);
export const CLIP_SECONDS = 30;
const LADDER = [1080, 720, 480, 360];
const RATE = 200;
const CONNECTIONS = 10;
const LOAD_SECONDS = 10;

export interface LatencySide {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
}

export interface PipelineResult {
  clip: { seconds: number; width: number; height: number; bytes: number };
  directSeconds: number;
  intakeSeconds: number;
  /** intake / direct wall time. */
  ratio: number;
  sessionsIdle: LatencySide;
  sessionsDuringTranscode: LatencySide;
  /** p99 during a transcode / p99 idle. */
  latencyRatio: number;
}

async function makeClip(dir: string): Promise<string> {
  const file = path.join(dir, 'clip-1080p.mp4');
  await run('ffmpeg', [
    '-v', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${CLIP_SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${CLIP_SECONDS}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', file,
  ]);
  return file;
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', 'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y', '-protocol_whitelist', 'file', ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/** The commands the job runs for this clip, run directly. */
async function direct(clip: string, dir: string): Promise<number> {
  const out = path.join(dir, 'direct');
  await fs.mkdir(out, { recursive: true });
  const rungs = ladderFor(1080, LADDER).map((h) => ({ label: `${h}p`, height: h, file: path.join(out, `${h}p.mp4`) }));
  const started = performance.now();
  await ffmpeg(['-f', 'mov', '-i', `file:${clip}`, ...videoLadderArgs(rungs, true)]);
  await ffmpeg(['-ss', String(posterAt(CLIP_SECONDS)), '-f', 'mov', '-i', `file:${clip}`, ...posterArgs(path.join(out, 'poster.jpg'))]);
  const seconds = (performance.now() - started) / 1000;
  await fs.rm(out, { recursive: true, force: true });
  return seconds;
}

async function api(intake: IntakeServer, method: string, route: string, json?: unknown): Promise<any> {
  const res = await fetch(intake.url + route, { method, headers: { authorization: `Bearer ${intake.key}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined });
  return ((await res.json()) as { data: unknown }).data;
}

/** Uploads the clip and completes it; resolves with the asset id and when complete was called. */
async function submit(intake: IntakeServer, clip: string): Promise<{ assetId: string; started: number }> {
  const bytes = await fs.readFile(clip);
  const session = await createSession(intake, 'clip.mp4', 'video/mp4', bytes.length);
  const put = await fetch(session.upload_url, { method: 'PUT', headers: session.upload_method.headers, body: bytes });
  if (put.status !== 200) throw new Error(`PUT ${put.status}`);
  const started = performance.now();
  const done = await api(intake, 'POST', `/v1/uploads/${session.id}/complete`, {});
  if (!done?.asset?.id) throw new Error(`complete: ${JSON.stringify(done)}`);
  return { assetId: done.asset.id as string, started };
}

async function untilReady(intake: IntakeServer, assetId: string): Promise<number> {
  for (;;) {
    const asset = await api(intake, 'GET', `/v1/assets/${assetId}`);
    if (asset.status === 'ready') return performance.now();
    if (asset.status === 'failed') throw new Error(`processing failed: ${JSON.stringify(asset.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sessionsLatency(intake: IntakeServer): Promise<LatencySide> {
  const r = await autocannon({
    url: `${intake.url}/v1/uploads`,
    method: 'POST',
    headers: { authorization: `Bearer ${intake.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'a.png', content_type: 'image/png', file_size: 1000 }),
    connections: CONNECTIONS,
    overallRate: RATE,
    duration: LOAD_SECONDS,
  });
  return { p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, requests: r.requests.total, non2xx: r.non2xx };
}

export async function benchPipeline(cleanup: Cleanup, intake: IntakeServer): Promise<PipelineResult> {
  const dir = await cleanup.tempDir('intake-bench-media-');
  const clip = await makeClip(dir);
  const bytes = (await fs.stat(clip)).size;
  const directSeconds = await direct(clip, dir);
  process.stderr.write(`  direct ffmpeg: ${directSeconds.toFixed(1)} s\n`);
  const first = await submit(intake, clip);
  const intakeSeconds = ((await untilReady(intake, first.assetId)) - first.started) / 1000;
  process.stderr.write(`  through Intake: ${intakeSeconds.toFixed(1)} s\n`);

  await sessionsLatency(intake); // warm-up
  const sessionsIdle = await sessionsLatency(intake);
  const second = await submit(intake, clip);
  // Let the job reach ffmpeg, then measure while it encodes (the transcode outlasts the load).
  await new Promise((r) => setTimeout(r, 1500));
  const sessionsDuringTranscode = await sessionsLatency(intake);
  await untilReady(intake, second.assetId);
  process.stderr.write(`  POST /v1/uploads p99: idle ${sessionsIdle.p99Ms} ms, during a transcode ${sessionsDuringTranscode.p99Ms} ms\n`);
  return {
    clip: { seconds: CLIP_SECONDS, width: 1920, height: 1080, bytes },
    directSeconds,
    intakeSeconds,
    ratio: intakeSeconds / directSeconds,
    sessionsIdle,
    sessionsDuringTranscode,
    latencyRatio: sessionsDuringTranscode.p99Ms / Math.max(1, sessionsIdle.p99Ms),
  };
}

/** The pipeline's lines of the summary, with its two goals. */
export function pipelineSummary(p: PipelineResult): string {
  const verdict = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  return [
    `Pipeline: ${p.clip.seconds} s ${p.clip.width}x${p.clip.height} clip (${(p.clip.bytes / 1e6).toFixed(1)} MB), ladder 1080/720/480/360 + poster`,
    `  direct ffmpeg ${p.directSeconds.toFixed(1)} s, through Intake ${p.intakeSeconds.toFixed(1)} s, ratio ${p.ratio.toFixed(2)}`,
    `  POST /v1/uploads at ${RATE} req/s: p99 idle ${p.sessionsIdle.p99Ms} ms, during a transcode ${p.sessionsDuringTranscode.p99Ms} ms (x${p.latencyRatio.toFixed(2)}); non-2xx ${p.sessionsIdle.non2xx + p.sessionsDuringTranscode.non2xx}`,
    `${verdict(p.ratio <= 1.1)} pipeline wall time / direct ffmpeg ≤ 1.10: ${p.ratio.toFixed(2)}`,
    `${verdict(p.latencyRatio < 2)} session p99 during a transcode < 2x idle: ${p.latencyRatio.toFixed(2)}`,
  ].join('\n');
}

/** Media made for the processing tests, and ways to look at what the pipeline produced. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSession } from '../http/error-helpers.js';
import { eventually, type TestIntake } from './intake.js';

const run = promisify(execFile);

/** An H.264/AAC MP4 (AAC only when `audio`), `seconds` long, from ffmpeg's test sources. */
export async function videoClip(width: number, height: number, seconds = 1, audio = true): Promise<Buffer> {
  return withTemp('clip.mp4', (out) =>
    run('ffmpeg', [
      '-v', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=25:duration=${seconds}`,
      ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:a', 'aac', '-shortest'] : []),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', out,
    ]),
  );
}

/**
 * A clip that verifies (header and index intact) but cannot be transcoded: every byte of
 * its media data is noise, so processing fails it as `processing_failed`.
 */
export async function noisyVideo(width: number, height: number, seed = 12345): Promise<Buffer> {
  const clip = Buffer.from(await videoClip(width, height));
  let x = seed;
  for (let i = clip.indexOf('mdat') + 4; i < clip.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    clip[i] = (x >> 16) & 255;
  }
  return clip;
}

async function withTemp(name: string, make: (file: string) => Promise<unknown>): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-media-'));
  const file = path.join(dir, name);
  try {
    await make(file);
    return await fs.readFile(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
}

/** ffprobe's view of some bytes: format name and streams. */
export async function probeBytes(bytes: Buffer): Promise<{ format: string; duration: number; streams: ProbedStream[] }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-probe-'));
  const file = path.join(dir, 'f');
  try {
    await fs.writeFile(file, bytes);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
    const json = JSON.parse(stdout) as { format: { format_name: string; duration?: string }; streams: ProbedStream[] };
    return { format: json.format.format_name, duration: Number(json.format.duration ?? 0), streams: json.streams };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Creates a session, PUTs the bytes and completes (optionally async). */
export async function uploadMedia(t: TestIntake, key: string, bytes: Buffer, filename: string, contentType: string, complete: Record<string, unknown> = {}) {
  const s = await createSession(t, key, { filename, content_type: contentType, file_size: bytes.length });
  // Every header the session asks for (S3 adds If-None-Match).
  const sent = await fetch(s.upload_url, { method: 'PUT', headers: s.upload_method.headers, body: bytes });
  if (sent.status !== 200) throw new Error(`PUT: ${sent.status}`);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: complete });
  return { session: s, complete: done };
}

/** Polls the asset until its status is one of `statuses`. */
export async function assetWhen(t: TestIntake, key: string, assetId: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const res = await t.api('GET', `/v1/assets/${assetId}`, { key });
    return statuses.includes(res.body.data?.status) ? res.body.data : null;
  }, timeoutMs, `asset ${assetId} to be ${statuses.join('/')}`);
}

/** asset.process runs that failed, from /metrics: final ones, and ones a retry followed. */
export async function processFailures(t: TestIntake): Promise<{ final: number; retried: number }> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const count = (final: boolean) => Number(new RegExp(`^intake_job_failures_total\\{name="asset.process",final="${final}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { final: count(true), retried: count(false) };
}

/**
 * Nothing left behind once the queue settles: no job waiting, running or delayed, no
 * scratch folder under `work/`, no storage temp file, and exactly `failedJobs` failed jobs
 * (a failed job is kept until the purge, as the API notes say).
 */
export async function assertNothingLeft(t: TestIntake, failedJobs = 0): Promise<void> {
  await t.settled();
  const counts = await t.intake.queue.counts();
  for (const [queue, c] of Object.entries(counts)) {
    assert.deepEqual([c.waiting, c.active, c.delayed], [0, 0, 0], `queue ${queue}: ${JSON.stringify(c)}`);
  }
  assert.equal(Object.values(counts).reduce((n, c) => n + c.failed, 0), failedJobs, `failed jobs: ${JSON.stringify(counts)}`);
  assert.deepEqual(await fs.readdir(path.join(t.dataDir, 'work')).catch(() => []), [], 'no scratch folder left');
  assert.deepEqual(await t.tempFiles(), [], 'no temp file left');
}

/** A form upload sent as application/octet-stream (`curl -F file=@…`), once verified: the upload, and its asset unless it failed. */
export async function untypedUpload(t: TestIntake, key: string, bytes: Buffer, filename: string): Promise<{ upload: any; asset: any }> {
  const body = new FormData();
  body.append('file', new Blob([bytes], { type: 'application/octet-stream' }), filename);
  const res = await t.api('POST', '/v1/uploads', { key, body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return eventually(async () => {
    const upload = (await t.api('GET', `/v1/uploads/${res.body.data.id}`, { key })).body.data;
    const asset = upload.asset_id ? (await t.api('GET', `/v1/assets/${upload.asset_id}`, { key })).body.data : null;
    return upload.status === 'failed' || (asset && asset.status !== 'pending') ? { upload, asset } : null;
  }, 20_000, 'the form upload to be verified');
}

/** Moves the clock past a link's lifetime: every URL answers 403 `link_expired`; the clock is put back. */
export async function assertAllExpire(t: Pick<TestIntake, 'clock'>, urls: string[], seconds = 61): Promise<void> {
  t.clock.advance(seconds);
  try {
    for (const u of urls) {
      const r = await fetch(u);
      assert.equal(r.status, 403, u);
      assert.equal(((await r.json()) as any).error.details.reason, 'link_expired');
    }
  } finally {
    t.clock.advance(-seconds);
  }
}

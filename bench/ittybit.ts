/**
 * The ittybit single-URL chunked upload (docs/COMPAT.md): 1 GiB in 10 MiB chunks (the
 * document's CHUNK_SIZE) PUT with `X-Upload-Index` to one store URL, then POST `{parts}`,
 * against Intake's native resumable session with the same part size (a signed URL per
 * part, then POST /v1/uploads/{id}/complete), on the same server in the same run. Both
 * sides are sent by one curl process (4 transfers at a time, each part streamed from its
 * own file), so the client is not the bottleneck; runs alternate, and so does which side
 * goes first. Time is parts + finish; the server's CPU per GiB is reported beside it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cpuSeconds, type Cleanup } from './lib/children.js';
import type { IntakeServer } from './intake.js';
import { median, SETTLE_MS } from './put.js';

const run = promisify(execFile);
const PART = 10 * 1024 * 1024;
const PARALLEL = 4;

export interface IttybitResult {
  sizeBytes: number;
  parts: number;
  runs: number;
  nativeMbPerSecond: number[];
  ittybitMbPerSecond: number[];
  /** ittybit's median MB/s over the native one's (goal ≥ 0.9). */
  ratio: number;
  /** Server CPU (user + system) seconds per GiB, medians: steadier than MB/s on a busy machine. */
  nativeCpuPerGib: number;
  ittybitCpuPerGib: number;
}

/** The part files: text, so both sessions verify as text/plain. */
async function partFiles(dir: string, size: number): Promise<string[]> {
  const line = Buffer.alloc(1024 * 1024, 'intake ittybit bench line of text\n');
  const files: string[] = [];
  for (let offset = 0, i = 0; offset < size; offset += PART, i++) {
    const file = path.join(dir, `part-${i}`);
    const handle = await fs.open(file, 'w');
    for (let n = 0; n < Math.min(PART, size - offset); n += line.length) await handle.write(line, 0, Math.min(line.length, size - offset - n));
    await handle.close();
    files.push(file);
  }
  return files;
}

/** One curl for every part (`--parallel`); each answer written to its own file. */
async function curlParts(transfers: Array<{ file: string; url: string; headers: string[]; out: string }>): Promise<void> {
  const args = ['--parallel', '--parallel-max', String(PARALLEL), '-sS', '--fail-with-body'];
  transfers.forEach((t, i) => {
    if (i > 0) args.push('--next');
    args.push('-T', t.file, ...t.headers.flatMap((h) => ['-H', h]), '-o', t.out, t.url);
  });
  await run('curl', args, { maxBuffer: 1 << 24 });
}

async function api<T>(intake: IntakeServer, method: string, url: string, json?: unknown, key = true): Promise<T> {
  const res = await fetch(url.startsWith('http') ? url : intake.url + url, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${intake.key}` } : {}), ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = (await res.json()) as { data: T };
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

async function nativeRun(intake: IntakeServer, files: string[], size: number, outDir: string): Promise<number> {
  const started = process.hrtime.bigint();
  const s = await api<{ upload_id: string; parts: { urls: Array<{ url: string }>; count: number } }>(intake, 'POST', '/v1/uploads', { filename: 'big.txt', content_type: 'text/plain', file_size: size, resumable: true, part_size: PART });
  let urls = s.parts.urls.map((u) => u.url);
  if (urls.length < s.parts.count) {
    const more = await api<{ urls: Array<{ url: string }> }>(intake, 'POST', `/v1/uploads/${s.upload_id}/parts`, { part_numbers: Array.from({ length: s.parts.count - urls.length }, (_, i) => urls.length + i + 1) });
    urls = urls.concat(more.urls.map((u) => u.url));
  }
  await curlParts(files.map((file, i) => ({ file, url: urls[i]!, headers: ['Content-Type: application/octet-stream'], out: path.join(outDir, `n-${i}`) })));
  const done = await api<{ asset: { id: string; filesize: number } }>(intake, 'POST', `/v1/uploads/${s.upload_id}/complete`, {});
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (done.asset.filesize !== size) throw new Error(`native: ${done.asset.filesize} bytes, expected ${size}`);
  await api(intake, 'DELETE', `/v1/assets/${done.asset.id}`);
  return seconds;
}

async function ittybitRun(intake: IntakeServer, files: string[], size: number, outDir: string): Promise<number> {
  const started = process.hrtime.bigint();
  const { url } = await api<{ url: string }>(intake, 'POST', '/compat/ittybit/uploads', { resumable: true, filename: 'big.txt' });
  const outs = files.map((_, i) => path.join(outDir, `i-${i}`));
  await curlParts(files.map((file, i) => ({ file, url, headers: ['Content-Type: application/octet-stream', `X-Upload-Index: ${i}`], out: outs[i]! })));
  const parts = await Promise.all(outs.map(async (o) => (JSON.parse(await fs.readFile(o, 'utf8')) as { data: { index: number; etag: string } }).data));
  const media = await api<{ id: string; filesize: number }>(intake, 'POST', url, { parts }, false);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (media.filesize !== size) throw new Error(`ittybit: ${media.filesize} bytes, expected ${size}`);
  await api(intake, 'DELETE', `/v1/assets/${media.id}`);
  return seconds;
}

/** Waits until the server is idle (under 5% of a core over a second; 30 s at most): the other side's deletes and jobs are done. */
async function quiet(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const before = await cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if ((await cpuSeconds(pid)) - before < 0.05) return;
  }
}

export async function benchIttybit(cleanup: Cleanup, intake: IntakeServer, opts: { size: number; runs: number }): Promise<IttybitResult> {
  const dir = await cleanup.tempDir('intake-bench-ittybit-');
  const files = await partFiles(dir, opts.size);
  const native: number[] = [];
  const ittybit: number[] = [];
  const cpu = { native: [] as number[], ittybit: [] as number[] };
  const gib = opts.size / 1024 ** 3;
  const measure = async (side: 'native' | 'ittybit') => {
    await quiet(intake.pid);
    const before = await cpuSeconds(intake.pid);
    const seconds = side === 'native' ? await nativeRun(intake, files, opts.size, dir) : await ittybitRun(intake, files, opts.size, dir);
    cpu[side].push(((await cpuSeconds(intake.pid)) - before) / gib);
    (side === 'native' ? native : ittybit).push(opts.size / 1e6 / seconds);
  };
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (let i = 0; i < opts.runs; i++) {
    // Alternate which side goes first, so neither always meets a warmer (or busier) server.
    for (const side of i % 2 === 0 ? (['native', 'ittybit'] as const) : (['ittybit', 'native'] as const)) await measure(side);
    process.stderr.write(
      `  ittybit run ${i + 1}/${opts.runs}: native parts ${native.at(-1)!.toFixed(0)} MB/s (CPU ${cpu.native.at(-1)!.toFixed(2)} s/GiB), ittybit single URL ${ittybit.at(-1)!.toFixed(0)} MB/s (CPU ${cpu.ittybit.at(-1)!.toFixed(2)} s/GiB)\n`,
    );
  }
  return {
    sizeBytes: opts.size,
    parts: files.length,
    runs: opts.runs,
    nativeMbPerSecond: native,
    ittybitMbPerSecond: ittybit,
    ratio: median(ittybit) / median(native),
    nativeCpuPerGib: median(cpu.native),
    ittybitCpuPerGib: median(cpu.ittybit),
  };
}

export function ittybitSummary(r: IttybitResult): string {
  return [
    `ittybit single-URL chunked upload: ${(r.sizeBytes / 1024 ** 3).toFixed(2)} GiB in ${r.parts} parts of 10 MiB, curl ${PARALLEL} at a time, ${r.runs} alternating runs (parts + finish)`,
    `  native resumable parts: ${median(r.nativeMbPerSecond).toFixed(0)} MB/s median (${r.nativeMbPerSecond.map((v) => v.toFixed(0)).join(', ')})`,
    `  ittybit single URL:     ${median(r.ittybitMbPerSecond).toFixed(0)} MB/s median (${r.ittybitMbPerSecond.map((v) => v.toFixed(0)).join(', ')})`,
    `  server CPU per GiB: native ${r.nativeCpuPerGib.toFixed(2)} s, ittybit ${r.ittybitCpuPerGib.toFixed(2)} s`,
    `  [${r.ratio >= 0.9 ? 'PASS' : 'FAIL'}] ittybit / native: ${r.ratio.toFixed(2)} (goal ≥ 0.9)`,
  ].join('\n');
}

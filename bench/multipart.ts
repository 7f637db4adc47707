/**
 * Benchmark 3: one large upload in parallel parts through Intake's local signed part URLs,
 * against the same bytes PUT in the same number of parallel requests into the raw sink
 * (which hashes, writes, fsyncs and renames each, like Intake does per part). Runs
 * alternate between the two. Intake's session is then completed: its time is the joining
 * of the parts (streamed, SHA-256 on the way) plus verification, reported per GiB.
 */
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { cpuSeconds, descendantsPeakRss, peakRss, resetPeakRss, resetPeakRssTree, type Server } from './lib/children.js';
import type { IntakeServer } from './intake.js';
import { GIB, median, SETTLE_MS } from './put.js';

/** Printable text, so the joined object verifies as text/plain at complete. */
const CHUNK = Buffer.alloc(1024 * 1024, 'intake multipart bench line of text\n');

export interface MultipartSide {
  mbPerSecond: number[];
  medianMbPerSecond: number;
  /** Server CPU (user + system) per GiB received, median of the runs: steadier than MB/s on a busy machine. */
  cpuSecondsPerGib: number;
  peakRssBytes: number;
}

export interface MultipartResult {
  sizeBytes: number;
  parts: number;
  runs: number;
  sink: MultipartSide;
  intake: MultipartSide;
  ratio: number;
  /** Complete (join + verify) seconds and server CPU seconds per GiB, medians, and Intake's peak RSS while completing. */
  completeSecondsPerGib: number;
  completeCpuSecondsPerGib: number;
  completePeakRssBytes: number;
  /** Peak RSS of the server's child processes (none take the parts' bodies now; kept for older results). */
  receiverPeakRssBytes: number;
}

async function putStream(url: string, size: number): Promise<void> {
  const req = http.request(url, { method: 'PUT', agent: false, headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } });
  const answered = once(req, 'response').then(async (args: unknown[]) => {
    const res = args[0] as http.IncomingMessage;
    let body = '';
    for await (const chunk of res) body += String(chunk);
    if (res.statusCode !== 200) throw new Error(`PUT ${url} → ${res.statusCode}: ${body}`);
  });
  for (let sent = 0; sent < size; sent += CHUNK.length) {
    const n = Math.min(CHUNK.length, size - sent);
    if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await once(req, 'drain');
  }
  req.end();
  await answered;
}

/** Sends every URL at once; returns the seconds from the first byte to the last answer. */
export async function parallel(urls: string[], partSize: number): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(urls.map((url) => putStream(url, partSize)));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function api<T>(intake: IntakeServer, method: string, route: string, json?: unknown): Promise<T> {
  const res = await fetch(intake.url + route, {
    method,
    headers: { authorization: `Bearer ${intake.key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = (await res.json()) as { data: T };
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

interface Created {
  upload_id: string;
  parts: { count: number; part_size: number; urls: Array<{ url: string; size: number }> };
}

export async function intakeParts(intake: IntakeServer, size: number, parts: number): Promise<{ id: string; seconds: number }> {
  const s = await api<Created>(intake, 'POST', '/v1/uploads', { filename: 'big.txt', content_type: 'text/plain', file_size: size, resumable: true, part_size: size / parts });
  if (s.parts.count !== parts) throw new Error(`expected ${parts} parts, got ${s.parts.count}`);
  return { id: s.upload_id, seconds: await parallel(s.parts.urls.map((u) => u.url), size / parts) };
}

export async function intakeComplete(intake: IntakeServer, id: string, size: number): Promise<number> {
  const started = process.hrtime.bigint();
  const done = await api<{ asset: { id: string; filesize: number } }>(intake, 'POST', `/v1/uploads/${id}/complete`, {});
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (done.asset.filesize !== size) throw new Error(`joined ${done.asset.filesize} bytes, expected ${size}`);
  // Deleting the asset removes its bytes (and keeps the next run from being a duplicate).
  await api(intake, 'DELETE', `/v1/assets/${done.asset.id}`);
  return seconds;
}

async function sinkRun(sink: Server, dir: string, size: number, parts: number): Promise<number> {
  const seconds = await parallel(Array.from({ length: parts }, (_, i) => `${sink.url}/part-${i}`), size / parts);
  for (const file of await fs.readdir(dir)) await fs.rm(path.join(dir, file), { force: true });
  return seconds;
}

export async function benchMultipart(sink: Server, sinkDir: string, intake: IntakeServer, opts: { size: number; parts: number; runs: number }): Promise<MultipartResult> {
  const { size, parts, runs } = opts;
  const mb = { sink: [] as number[], intake: [] as number[] };
  const cpu = { sink: [] as number[], intake: [] as number[], complete: [] as number[] };
  const complete: number[] = [];
  const peaks = { sink: 0, intake: 0, complete: 0, receiver: 0 };
  const gib = size / GIB;
  // As in the PUT benchmark: measure servers that have been idle a while (bench/put.ts).
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (let run = 0; run < runs; run++) {
    await resetPeakRss(sink.pid);
    let cpuBefore = await cpuSeconds(sink.pid);
    mb.sink.push(size / 1e6 / (await sinkRun(sink, sinkDir, size, parts)));
    cpu.sink.push(((await cpuSeconds(sink.pid)) - cpuBefore) / gib);
    peaks.sink = Math.max(peaks.sink, await peakRss(sink.pid));
    await resetPeakRssTree(intake.pid);
    cpuBefore = await cpuSeconds(intake.pid);
    const sent = await intakeParts(intake, size, parts);
    mb.intake.push(size / 1e6 / sent.seconds);
    cpu.intake.push(((await cpuSeconds(intake.pid)) - cpuBefore) / gib);
    peaks.intake = Math.max(peaks.intake, await peakRss(intake.pid));
    peaks.receiver = Math.max(peaks.receiver, await descendantsPeakRss(intake.pid));
    await resetPeakRss(intake.pid);
    cpuBefore = await cpuSeconds(intake.pid);
    const seconds = await intakeComplete(intake, sent.id, size);
    cpu.complete.push(((await cpuSeconds(intake.pid)) - cpuBefore) / gib);
    complete.push(seconds / gib);
    peaks.complete = Math.max(peaks.complete, await peakRss(intake.pid));
    process.stderr.write(
      `  multipart run ${run + 1}/${runs}: sink ${mb.sink.at(-1)!.toFixed(0)} MB/s (CPU ${cpu.sink.at(-1)!.toFixed(2)} s/GiB), Intake ${mb.intake.at(-1)!.toFixed(0)} MB/s (CPU ${cpu.intake.at(-1)!.toFixed(2)} s/GiB), complete ${seconds.toFixed(1)} s, Intake peak RSS ${(peaks.intake / 1e6).toFixed(0)} MB (parts) ${(peaks.complete / 1e6).toFixed(0)} MB (complete)\n`,
    );
  }
  const side = (values: number[], cpuPerGib: number[], peak: number): MultipartSide => ({
    mbPerSecond: values,
    medianMbPerSecond: median(values),
    cpuSecondsPerGib: median(cpuPerGib),
    peakRssBytes: peak,
  });
  const sinkSide = side(mb.sink, cpu.sink, peaks.sink);
  const intakeSide = side(mb.intake, cpu.intake, peaks.intake);
  return {
    sizeBytes: size,
    parts,
    runs,
    sink: sinkSide,
    intake: intakeSide,
    ratio: intakeSide.medianMbPerSecond / sinkSide.medianMbPerSecond,
    completeSecondsPerGib: median(complete),
    completeCpuSecondsPerGib: median(cpu.complete),
    completePeakRssBytes: peaks.complete,
    receiverPeakRssBytes: peaks.receiver,
  };
}

const MB = 1e6;

export function multipartGoals(r: MultipartResult): Array<{ name: string; target: string; actual: string; met: boolean }> {
  const peak = Math.max(r.intake.peakRssBytes, r.completePeakRssBytes) / MB;
  return [
    { name: `${r.sizeBytes / GIB} GiB in ${r.parts} parallel parts, Intake / sink`, target: '≥ 0.80', actual: r.ratio.toFixed(2), met: r.ratio >= 0.8 },
    { name: 'Intake peak RSS during parts and complete', target: '< 200 MB', actual: `${peak.toFixed(0)} MB`, met: peak < 200 },
  ];
}

export function multipartSummary(r: MultipartResult): string {
  const f = (n: number, d = 0) => n.toFixed(d);
  return [
    `${r.sizeBytes / GIB} GiB upload in ${r.parts} parallel parts: median of ${r.runs} alternating runs (MB = 10^6 bytes)`,
    `  throughput MB/s          sink ${f(r.sink.medianMbPerSecond)}   Intake ${f(r.intake.medianMbPerSecond)}   Intake/sink ${f(r.ratio, 2)}`,
    `  all runs MB/s            sink ${r.sink.mbPerSecond.map((v) => f(v)).join(' ')}   Intake ${r.intake.mbPerSecond.map((v) => f(v)).join(' ')}`,
    `  server CPU s per GiB     sink ${f(r.sink.cpuSecondsPerGib, 2)}   Intake ${f(r.intake.cpuSecondsPerGib, 2)}   Intake/sink ${f(r.intake.cpuSecondsPerGib / r.sink.cpuSecondsPerGib, 2)}`,
    `  peak RSS MB              sink ${f(r.sink.peakRssBytes / MB)}   Intake parts ${f(r.intake.peakRssBytes / MB)}   Intake complete ${f(r.completePeakRssBytes / MB)}   child processes ${f(r.receiverPeakRssBytes / MB)}`,
    `  complete (join + verify) ${f(r.completeSecondsPerGib, 2)} s per GiB (server CPU ${f(r.completeCpuSecondsPerGib, 2)} s per GiB)`,
    ...multipartGoals(r).map((g) => `  [${g.met ? 'PASS' : 'FAIL'}] ${g.name}: ${g.actual} (goal ${g.target})`),
  ].join('\n');
}

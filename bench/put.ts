/**
 * Benchmark 1: one 1 GiB PUT through Intake's signed URL against the same PUT into a raw
 * node:http sink doing the same disk work. Runs alternate between the two servers so
 * that drift on a shared machine (page cache, writeback, neighbours) hits both alike.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { cpuSeconds, descendantsPeakRss, peakRss, resetPeakRssTree, type Server } from './lib/children.js';
import { createSession, type IntakeServer } from './intake.js';

export const GIB = 1024 * 1024 * 1024;
const CHUNK = randomBytes(1024 * 1024);

export interface PutSide {
  mbPerSecond: number[];
  medianMbPerSecond: number;
  /** Server CPU (user + system) per GiB received, median of the runs. */
  cpuSecondsPerGib: number;
  /** RSS when the PUT phase began (idle footprint), and its peak during the phase. */
  rssBeforeBytes: number;
  peakRssBytes: number;
  /**
   * Peak RSS of the server's child processes (Intake: its byte receiver, which holds the
   * PUT's socket and stream), 0 when it has none. CPU above counts them too.
   */
  childrenPeakRssBytes: number;
}

export interface PutResult {
  sizeBytes: number;
  runs: number;
  sink: PutSide;
  intake: PutSide;
  /** intake / sink median throughput. */
  ratio: number;
  /** The peer, tus-node-server, when it ran (`npm run bench -- put`). */
  tus?: PutSide;
  /** intake / tus median throughput. */
  tusRatio?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Streams `size` bytes (one random MiB, repeated) so the client never holds the body. */
async function writeBody(req: http.ClientRequest, size: number): Promise<void> {
  for (let sent = 0; sent < size; sent += CHUNK.length) {
    const n = Math.min(CHUNK.length, size - sent);
    if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await once(req, 'drain');
  }
  req.end();
}

/** One PUT (or PATCH) with node:http (not fetch: less client overhead); resolves when the answer is read. */
export async function put(url: string, headers: Record<string, string>, size: number, method = 'PUT'): Promise<{ seconds: number; body: string }> {
  const started = process.hrtime.bigint();
  const req = http.request(url, { method, agent: false, headers: { ...headers, 'content-length': String(size) } });
  const answered = once(req, 'response').then(async (args: unknown[]) => {
    const res = args[0] as http.IncomingMessage;
    let body = '';
    for await (const chunk of res) body += String(chunk);
    if (res.statusCode !== 200 && res.statusCode !== 204) throw new Error(`${method} ${url} → ${res.statusCode}: ${body}`);
    return body;
  });
  const [, body] = await Promise.all([writeBody(req, size), answered]);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, body };
}

interface Target {
  server: Server;
  /** Performs one timed PUT, then deletes what it wrote so the disk does not fill up. */
  putOnce(size: number): Promise<number>;
}

function sinkTarget(server: Server, dir: string): Target {
  return {
    server,
    async putOnce(size) {
      const { seconds } = await put(`${server.url}/object`, { 'content-type': 'application/octet-stream' }, size);
      for (const file of await fs.readdir(dir)) await fs.rm(path.join(dir, file), { force: true });
      return seconds;
    },
  };
}

/** tus: create the upload (not timed), then one PATCH with the whole body (timed, like the PUTs). */
function tusTarget(server: Server, dir: string): Target {
  return {
    server,
    async putOnce(size) {
      const created = await fetch(`${server.url}/files`, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) } });
      const location = created.headers.get('location');
      if (created.status !== 201 || !location) throw new Error(`tus create → ${created.status}`);
      const headers = { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'content-type': 'application/offset+octet-stream' };
      const { seconds } = await put(new URL(location, server.url).href, headers, size, 'PATCH');
      for (const file of await fs.readdir(dir)) await fs.rm(path.join(dir, file), { force: true });
      return seconds;
    },
  };
}

function intakeTarget(intake: IntakeServer): Target {
  return {
    server: intake,
    async putOnce(size) {
      // A fresh session each run: a session's bytes are written once. Complete is never
      // called (random bytes would fail verification); only the PUT is timed.
      const session = await createSession(intake, 'big.mp4', 'video/mp4', size);
      const { seconds, body } = await put(session.upload_url, session.upload_method.headers, size);
      const { data } = JSON.parse(body) as { data: { key: string; size: number } };
      if (data.size !== size) throw new Error(`Intake stored ${data.size} bytes, expected ${size}`);
      await fs.rm(path.join(intake.dataDir, 'storage', 'objects', data.key), { force: true });
      return seconds;
    },
  };
}

async function measure(target: Target, size: number): Promise<{ mbPerSecond: number; cpuSeconds: number }> {
  globalThis.gc?.();
  const cpuBefore = await cpuSeconds(target.server.pid);
  const seconds = await target.putOnce(size);
  const cpu = (await cpuSeconds(target.server.pid)) - cpuBefore;
  return { mbPerSecond: size / 1e6 / seconds, cpuSeconds: cpu };
}

/**
 * Right after start-up Node still holds the heap it grew while starting (Intake compiles
 * its schemas and routes); V8's memory reducer returns it once the process has been idle
 * about 8-10 s, and that also shrinks the young generation, which changes how a long
 * stream is collected. Most uploads reach a server that has been idle a while, so that
 * settled state is what is measured.
 */
export const SETTLE_MS = 15_000;

export async function benchPut(sink: Server, sinkDir: string, intake: IntakeServer, runs = 5, size = GIB, tus?: { server: Server; dir: string }): Promise<PutResult> {
  const targets = [sinkTarget(sink, sinkDir), intakeTarget(intake), ...(tus ? [tusTarget(tus.server, tus.dir)] : [])];
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const samples = targets.map(() => ({ mb: [] as number[], cpu: [] as number[] }));
  const rssBefore = await Promise.all(targets.map((t) => resetPeakRssTree(t.server.pid)));
  for (let run = 0; run < runs; run++) {
    for (const [i, target] of targets.entries()) {
      const { mbPerSecond, cpuSeconds: cpu } = await measure(target, size);
      samples[i]!.mb.push(mbPerSecond);
      samples[i]!.cpu.push(cpu / (size / GIB));
      process.stderr.write(`  PUT run ${run + 1}/${runs} ${target.server.name}: ${mbPerSecond.toFixed(0)} MB/s, server CPU ${cpu.toFixed(2)} s\n`);
    }
  }
  const [sinkSide, intakeSide, tusSide] = await Promise.all(
    targets.map(async (t, i): Promise<PutSide> => ({
      mbPerSecond: samples[i]!.mb,
      medianMbPerSecond: median(samples[i]!.mb),
      cpuSecondsPerGib: median(samples[i]!.cpu),
      rssBeforeBytes: rssBefore[i]!,
      peakRssBytes: await peakRss(t.server.pid),
      childrenPeakRssBytes: await descendantsPeakRss(t.server.pid),
    })),
  );
  const ratio = intakeSide!.medianMbPerSecond / sinkSide!.medianMbPerSecond;
  if (!tusSide) return { sizeBytes: size, runs, sink: sinkSide!, intake: intakeSide!, ratio };
  return { sizeBytes: size, runs, sink: sinkSide!, intake: intakeSide!, ratio, tus: tusSide, tusRatio: intakeSide!.medianMbPerSecond / tusSide.medianMbPerSecond };
}

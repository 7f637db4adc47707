/**
 * Benchmark 1: one 1 GiB PUT through Intake's signed URL against the same PUT into a raw
 * node:http sink doing the same disk work, and (`npm run bench -- put`) a PATCH into
 * @tus/server. Runs alternate between the servers so that drift on a shared machine (page
 * cache, writeback, neighbours) hits them alike. The client is curl, reading the body from
 * a file in the page cache: a Node client capped every server near 420 MB/s here, which
 * made them all look equal.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, descendantsPeakRss, peakRss, resetPeakRssTree, type Server } from './lib/children.js';
import { createSession, type IntakeServer } from './intake.js';

export const GIB = 1024 * 1024 * 1024;

export interface PutSide {
  mbPerSecond: number[];
  medianMbPerSecond: number;
  /** Server CPU (user + system) per GiB received, median of the runs. */
  cpuSecondsPerGib: number;
  /** RSS when the PUT phase began (idle footprint), and its peak during the phase. */
  rssBeforeBytes: number;
  peakRssBytes: number;
  /** Peak RSS of the server's child processes, 0 when it has none. CPU above counts them too. */
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
  /** Intake again, the PUT on a keep-alive connection that carried an API call first (same process as `intake`). */
  keepAlive?: PutSide;
  /** keepAlive / tus median throughput. */
  keepAliveTusRatio?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A file of `size` bytes (one random MiB, repeated) for curl to send, made once per size
 * and removed when the benchmark process exits.
 */
export function bodyFile(size: number): string {
  const file = path.join(os.tmpdir(), `intake-bench-body-${process.pid}-${size}.bin`);
  if (!fsSync.existsSync(file)) {
    const mib = randomBytes(1024 * 1024);
    const fd = fsSync.openSync(file, 'w', 0o600);
    try {
      for (let written = 0; written < size; written += mib.length) fsSync.writeSync(fd, mib, 0, Math.min(mib.length, size - written));
    } finally {
      fsSync.closeSync(fd);
    }
    process.once('exit', () => fsSync.rmSync(file, { force: true }));
  }
  return file;
}

/** Runs curl; resolves with what it printed on stdout, rejects with its stderr on failure. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.stderr.on('data', (c: Buffer) => (err += String(c)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err}`))));
  });
}

const headerArgs = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
/** What curl prints after each transfer's body: status, seconds, and how many connections it opened. */
const WRITE_OUT = '\n@@ %{http_code} %{time_total} %{num_connects}\n';

/** The last transfer of a curl run: its status, time, new connections and body. */
function parseTransfer(text: string, method: string, url: string): { status: number; seconds: number; connects: number; body: string } {
  const parts = text.split(/\n@@ (\d+ [\d.]+ \d+)\n/);
  // [body 1, figures 1, body 2, figures 2, ''] → the last transfer's body and figures.
  const body = parts.at(-3) ?? '';
  const [status, seconds, connects] = (parts.at(-2) ?? '').split(' ').map(Number);
  if (status !== 200 && status !== 204) throw new Error(`${method} ${url} → ${status}: ${body}`);
  return { status: status!, seconds: seconds!, connects: connects!, body };
}

/** One PUT (or PATCH) of `size` bytes with curl; resolves when the answer is read. */
export async function put(url: string, headers: Record<string, string>, size: number, method = 'PUT'): Promise<{ seconds: number; body: string }> {
  // "Expect:" turns off curl's 100-continue round trip, as browsers send bodies at once.
  const out = await curl(['-X', method, '-T', bodyFile(size), '-H', 'Expect:', ...headerArgs(headers), '-w', WRITE_OUT, url]);
  const { seconds, body } = parseTransfer(out, method, url);
  return { seconds, body };
}

/**
 * The PUT a browser on the console's origin makes: on one keep-alive connection, first a
 * `POST /v1/uploads` (another session, as a page creating the next upload), then the PUT.
 * Only the PUT is timed; the result says whether the connection was reused.
 */
export async function putAfterApiCall(intake: IntakeServer, url: string, headers: Record<string, string>, size: number): Promise<{ seconds: number; body: string; reused: boolean }> {
  const session = JSON.stringify({ filename: 'other.mp4', content_type: 'video/mp4', file_size: 1000, resumable: false });
  const out = await curl([
    '-X', 'POST', '-H', `Authorization: Bearer ${intake.key}`, '-H', 'Content-Type: application/json', '-d', session, '-w', WRITE_OUT, `${intake.url}/v1/uploads`,
    '--next', '-X', 'PUT', '-T', bodyFile(size), '-H', 'Expect:', ...headerArgs(headers), '-w', WRITE_OUT, url,
  ]);
  const { seconds, body, connects } = parseTransfer(out, 'PUT', url);
  return { seconds, body, reused: connects === 0 };
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

/**
 * A fresh session each run: a session's bytes are written once. Complete is never called
 * (random bytes would fail verification); only the PUT is timed. `keepAlive`: the PUT
 * follows an API call on the same connection (putAfterApiCall).
 */
function intakeTarget(intake: IntakeServer, keepAlive = false): Target {
  return {
    server: { ...intake, name: keepAlive ? 'intake (keep-alive)' : intake.name },
    async putOnce(size) {
      const session = await createSession(intake, 'big.mp4', 'video/mp4', size);
      const sent = keepAlive
        ? await putAfterApiCall(intake, session.upload_url, session.upload_method.headers, size)
        : await put(session.upload_url, session.upload_method.headers, size);
      if (keepAlive && !('reused' in sent && sent.reused)) throw new Error('curl did not reuse the connection of the API call for the PUT');
      const { data } = JSON.parse(sent.body) as { data: { key: string; size: number } };
      if (data.size !== size) throw new Error(`Intake stored ${data.size} bytes, expected ${size}`);
      await fs.rm(path.join(intake.dataDir, 'storage', 'objects', data.key), { force: true });
      return sent.seconds;
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
  const targets = [sinkTarget(sink, sinkDir), intakeTarget(intake), ...(tus ? [tusTarget(tus.server, tus.dir), intakeTarget(intake, true)] : [])];
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
  const [sinkSide, intakeSide, tusSide, keepAliveSide] = await Promise.all(
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
  if (!tusSide || !keepAliveSide) return { sizeBytes: size, runs, sink: sinkSide!, intake: intakeSide!, ratio };
  return {
    sizeBytes: size,
    runs,
    sink: sinkSide!,
    intake: intakeSide!,
    ratio,
    tus: tusSide,
    tusRatio: intakeSide!.medianMbPerSecond / tusSide.medianMbPerSecond,
    keepAlive: keepAliveSide,
    keepAliveTusRatio: keepAliveSide.medianMbPerSecond / tusSide.medianMbPerSecond,
  };
}

/**
 * `npm run bench -- tus [--mib N]`: two ways in, each against the peer a user would compare
 * it with, alternating runs in one process on one machine:
 * - tus: one PATCH of the whole file with curl to Intake's /tus/ and to @tus/server
 *   (FileStore). The body is random bytes, so Intake's PATCH ends with the sniff failing at
 *   the last byte (415): it includes receiving, SHA-256 and the sniff, not a probe nor the
 *   fsync complete makes before it keeps bytes (refused ones never cost one). The peer
 *   appends to a file (no hash, no fsync).
 * - import: Intake fetching a file (200 MiB, `--import-mib N`) from a local HTTP server
 *   (POST source_url, polled until it settles; the same sniff ends it) against `curl -o`
 *   of the same URL.
 * Ratios are Intake / peer throughput (goals: tus ≥ 0.9, import ≥ 0.8). Intake's CPU time per
 * import (its process tree, from /proc) is printed beside them: on a shared machine it moves
 * less than the clock.
 */
import { spawn } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './lib/children.js';
import { cpuSeconds, startServer } from './lib/children.js';
import { startFlags, startIntake, type IntakeServer } from './intake.js';
import { bodyFile, median } from './put.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function curl(args: string[], output = '/dev/null'): Promise<{ status: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', '-o', output, '-w', '%{http_code} %{time_total}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.stderr.on('data', (c: Buffer) => (err += String(c)));
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err}`));
      const [status, seconds] = out.trim().split(' ').map(Number);
      resolve({ status: status!, seconds: seconds! });
    });
  });
}

async function patchWhole(url: string, headers: Record<string, string>, size: number): Promise<{ status: number; seconds: number }> {
  const h = Object.entries({ 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', Expect: '', ...headers }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  return curl(['-X', 'PATCH', '-T', bodyFile(size), ...h, url]);
}

async function tusPeerOnce(server: { url: string }, dir: string, size: number): Promise<number> {
  const created = await fetch(`${server.url}/files`, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) } });
  const { status, seconds } = await patchWhole(new URL(created.headers.get('location')!, server.url).href, {}, size);
  if (status !== 204) throw new Error(`@tus/server PATCH → ${status}`);
  for (const file of await fs.readdir(dir)) await fs.rm(path.join(dir, file), { force: true });
  return seconds;
}

async function tusIntakeOnce(intake: IntakeServer, size: number): Promise<number> {
  const auth = { Authorization: `Bearer ${intake.key}` };
  const created = await fetch(`${intake.url}/tus/`, { method: 'POST', headers: { ...auth, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size), 'Upload-Metadata': `filename ${Buffer.from('big.bin').toString('base64')}` } });
  if (created.status !== 201) throw new Error(`Intake tus create → ${created.status}: ${await created.text()}`);
  const { status, seconds } = await patchWhole(created.headers.get('location')!, auth, size);
  // Random bytes: every byte arrived, then the sniff refused them (and removed them).
  if (status !== 415) throw new Error(`Intake tus PATCH → ${status}`);
  return seconds;
}

async function importIntakeOnce(intake: IntakeServer, source: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${intake.url}/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${intake.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ source_url: source }) });
  const { data } = (await res.json()) as { data: { id: string } };
  for (;;) {
    const u = (await (await fetch(`${intake.url}/v1/uploads/${data.id}`, { headers: { Authorization: `Bearer ${intake.key}` } })).json()) as { data: { status: string; error: { details?: { reason?: string } } | null } };
    if (u.data.status === 'failed') {
      if (u.data.error?.details?.reason !== 'unrecognised') throw new Error(`import failed: ${JSON.stringify(u.data.error)}`);
      return (performance.now() - started) / 1000;
    }
    if (u.data.status === 'completed') return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface WaysInResult {
  sizeBytes: number;
  importBytes: number;
  runs: number;
  tus: { intakeMbPerSecond: number; peerMbPerSecond: number; ratio: number };
  import: { intakeMbPerSecond: number; curlMbPerSecond: number; ratio: number; intakeCpuSeconds: number; nodeMbPerSecond: number };
}

/** bench/servers/fetch-to-file.ts with the start script's Node flags: the seconds it printed. */
function nodeFetch(url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...startFlags(), here('./servers/fetch-to-file.js'), url, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.once('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`fetch-to-file exited ${code}`))));
  });
}

/** `importSize`: the file imported (the goal names 200 MB); tus sends `size`. */
export async function benchWaysIn(cleanup: Cleanup, size: number, runs = 3, importSize = 200 * 2 ** 20): Promise<WaysInResult> {
  const tusDir = await cleanup.tempDir('intake-bench-tus-');
  const peer = await startServer(cleanup, 'tus', here('./servers/tus.js'), [tusDir]);
  const intake = await startIntake(cleanup, { INTAKE_IMPORT_ALLOW_PRIVATE: 'true' });
  const imported = bodyFile(importSize);
  const source = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': importSize });
    fsSync.createReadStream(imported).pipe(res);
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(source.address() as AddressInfo).port}/big.bin`;
  const s = { tusIntake: [] as number[], tusPeer: [] as number[], importIntake: [] as number[], curl: [] as number[], importCpu: [] as number[], node: [] as number[] };
  const mb = (seconds: number) => size / 1e6 / seconds;
  const importMb = (seconds: number) => importSize / 1e6 / seconds;
  const copy = path.join(await cleanup.tempDir('intake-bench-curl-'), 'big.bin');
  try {
  for (let run = 0; run < runs; run++) {
    s.tusIntake.push(mb(await tusIntakeOnce(intake, size)));
    s.tusPeer.push(mb(await tusPeerOnce(peer, tusDir, size)));
    const cpu0 = await cpuSeconds(intake.pid);
    s.importIntake.push(importMb(await importIntakeOnce(intake, url)));
    s.importCpu.push((await cpuSeconds(intake.pid)) - cpu0);
    const got = await curl([url], copy);
    s.curl.push(importMb(got.seconds));
    await fs.rm(copy, { force: true });
    s.node.push(importMb(await nodeFetch(url, copy)));
    await fs.rm(copy, { force: true });
    process.stderr.write(`  run ${run + 1}/${runs}: tus Intake ${s.tusIntake.at(-1)!.toFixed(0)} MB/s, @tus/server ${s.tusPeer.at(-1)!.toFixed(0)} MB/s; import ${s.importIntake.at(-1)!.toFixed(0)} MB/s (Intake CPU ${s.importCpu.at(-1)!.toFixed(2)} s), curl -o ${s.curl.at(-1)!.toFixed(0)} MB/s, Node http.get → SHA-256 → file ${s.node.at(-1)!.toFixed(0)} MB/s\n`);
  }
  } finally {
    source.closeAllConnections();
    source.close();
  }
  const m = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)])) as Record<keyof typeof s, number>;
  return {
    sizeBytes: size,
    importBytes: importSize,
    runs,
    tus: { intakeMbPerSecond: m.tusIntake, peerMbPerSecond: m.tusPeer, ratio: m.tusIntake / m.tusPeer },
    import: { intakeMbPerSecond: m.importIntake, curlMbPerSecond: m.curl, ratio: m.importIntake / m.curl, intakeCpuSeconds: m.importCpu, nodeMbPerSecond: m.node },
  };
}

export function waysInSummary(r: WaysInResult): string {
  const f = (n: number) => n.toFixed(0);
  return [
    `tus, ${(r.sizeBytes / 2 ** 20).toFixed(0)} MiB in one PATCH (curl), median of ${r.runs}: Intake ${f(r.tus.intakeMbPerSecond)} MB/s, @tus/server (FileStore) ${f(r.tus.peerMbPerSecond)} MB/s → ${r.tus.ratio.toFixed(2)}x (goal ≥ 0.9)`,
    `import of ${(r.importBytes / 2 ** 20).toFixed(0)} MiB from a local HTTP server, median of ${r.runs}: Intake ${f(r.import.intakeMbPerSecond)} MB/s, curl -o ${f(r.import.curlMbPerSecond)} MB/s → ${r.import.ratio.toFixed(2)}x (goal ≥ 0.8); Intake CPU ${r.import.intakeCpuSeconds.toFixed(2)} s per import`,
    `  the same fetch in plain Node (node:http GET → SHA-256 → new file, the start script's flags, bench/servers/fetch-to-file.ts): ${f(r.import.nodeMbPerSecond)} MB/s → Intake / plain Node ${(r.import.intakeMbPerSecond / r.import.nodeMbPerSecond).toFixed(2)}x`,
  ].join('\n');
}

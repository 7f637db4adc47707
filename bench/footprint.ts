/**
 * The embedded default's footprint (issue "footprint"): how long a start takes to answer
 * /healthz, through `npm start` (its set-up step finds everything up to date) and through
 * `intake serve` itself, and the RSS of the whole server process tree when idle and after
 * 1,000 sessions and 10 image uploads have come and gone, against a bare Fastify "hello"
 * measured in the same run.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, treeRss, type Cleanup } from './lib/children.js';
import { CLI, createSession, freePort, startFlags, startIntake, type IntakeServer } from './intake.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IDLE_MS = 10_000;
const SETTLED_MS = 30_000;
const MB = 1e6;

export interface FootprintResult {
  /** Seconds from spawning `npm start` to the first 200 from /healthz (nothing to build). */
  npmStartSeconds: number;
  /** Seconds from spawning `node … cli.js serve` to the first 200 from /healthz. */
  serveSeconds: number;
  helloIdleRssBytes: number;
  /** Whole process tree, 10 s after start. */
  idleRssBytes: number;
  /** Whole process tree, 10 s after 1,000 sessions and 10 image uploads. */
  afterWorkRssBytes: number;
  /**
   * The same 30 s after: the work has come and gone. V8 hands the work's garbage back
   * ~10–20 s after allocation stops (its memory reducer), so the 10 s figure still holds it.
   */
  settledRssBytes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns a command in its own process group and times it to the first 200 from `url`; then stops the group. */
async function timeToHealthy(cmd: string, args: string[], env: NodeJS.ProcessEnv, url: string): Promise<number> {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore', detached: true });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited with ${child.exitCode} before answering`);
      const ok = await fetch(url).then((r) => r.ok, () => false);
      if (ok) return (performance.now() - started) / 1000;
      if (performance.now() - started > 60_000) throw new Error(`${cmd} did not answer ${url} within 60 s`);
      await sleep(20);
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}

async function startTimes(cleanup: Cleanup): Promise<{ npmStartSeconds: number; serveSeconds: number }> {
  const env = async () => {
    const port = await freePort();
    return { env: { INTAKE_DATA_DIR: await cleanup.tempDir('intake-bench-start-'), INTAKE_PORT: String(port), INTAKE_HOST: '127.0.0.1', INTAKE_LOG_LEVEL: 'warn' }, url: `http://127.0.0.1:${port}/healthz` };
  };
  const npm = await env();
  const npmStartSeconds = await timeToHealthy('npm', ['start', '--silent'], npm.env, npm.url);
  const serve = await env();
  const serveSeconds = await timeToHealthy(process.execPath, [...startFlags(), CLI, 'serve'], serve.env, serve.url);
  return { npmStartSeconds, serveSeconds };
}

async function imageUpload(intake: IntakeServer, png: Buffer): Promise<void> {
  const session = await createSession(intake, 'pic.png', 'image/png', png.length);
  const put = await fetch(session.upload_url, { method: 'PUT', headers: session.upload_method.headers, body: png });
  if (put.status !== 200) throw new Error(`PUT ${put.status}: ${await put.text()}`);
  const done = await fetch(`${intake.url}/v1/uploads/${session.id}/complete`, { method: 'POST', headers: { authorization: `Bearer ${intake.key}` } });
  if (done.status !== 200) throw new Error(`complete ${done.status}: ${await done.text()}`);
}

export async function benchFootprint(cleanup: Cleanup): Promise<FootprintResult> {
  const times = await startTimes(cleanup);
  const hello = await startServer(cleanup, 'fastify', fileURLToPath(new URL('./servers/hello.js', import.meta.url)), []);
  const intake = await startIntake(cleanup);
  await sleep(IDLE_MS);
  const helloIdleRssBytes = await treeRss(hello.pid);
  const idleRssBytes = await treeRss(intake.pid);
  for (let i = 0; i < 1000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => createSession(intake, `s${i + j}.png`, 'image/png', 1000)));
  }
  const dir = await cleanup.tempDir('intake-bench-png-');
  const file = path.join(dir, 'pic.png');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=1600x1200', '-frames:v', '1', file]);
  const png = await fs.readFile(file);
  for (let i = 0; i < 10; i++) await imageUpload(intake, png);
  // Renditions are made in the background; image processes exit after their idle time.
  await sleep(IDLE_MS);
  const afterWorkRssBytes = await treeRss(intake.pid);
  await sleep(SETTLED_MS - IDLE_MS);
  const settledRssBytes = await treeRss(intake.pid);
  return { ...times, helloIdleRssBytes, idleRssBytes, afterWorkRssBytes, settledRssBytes };
}

export function footprintSummary(r: FootprintResult): string {
  const f = (n: number, d = 0) => n.toFixed(d);
  const goals = [
    [r.npmStartSeconds <= 3, `warm npm start → /healthz: ${f(r.npmStartSeconds, 2)} s (goal ≤ 3 s)`],
    [r.serveSeconds <= 1, `intake serve → /healthz: ${f(r.serveSeconds, 2)} s (goal ≤ 1 s)`],
    [r.idleRssBytes <= 1.6 * r.helloIdleRssBytes, `idle RSS, whole tree: ${f(r.idleRssBytes / MB)} MB = ${f(r.idleRssBytes / r.helloIdleRssBytes, 2)}× bare Fastify's ${f(r.helloIdleRssBytes / MB)} MB (goal ≤ 1.6×)`],
    [r.settledRssBytes <= 1.3 * r.idleRssBytes, `RSS 30 s after 1,000 sessions and 10 images: ${f(r.settledRssBytes / MB)} MB = ${f(r.settledRssBytes / r.idleRssBytes, 2)}× idle (goal ≤ 1.3×; at 10 s ${f(r.afterWorkRssBytes / MB)} MB = ${f(r.afterWorkRssBytes / r.idleRssBytes, 2)}×, before V8 hands the work's garbage back)`],
  ] as const;
  return ['Footprint of the embedded default', ...goals.map(([met, text]) => `  [${met ? 'PASS' : 'FAIL'}] ${text}`)].join('\n');
}

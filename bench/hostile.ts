/**
 * Benchmark 3: Intake under hostile load. Session creation (autocannon, 50 connections)
 * and a 100 MB PUT are measured on the same server in alternating rounds: calm, then
 * while 200 clients trickle PUT bodies a byte at a time (reconnecting whenever they are
 * cut off) and 2 clients keep completing sessions holding hostile SVGs (their bytes were
 * sent before: uploading 28 MB at full speed would measure bandwidth sharing, not the
 * defences), ROUNDS times over. The hostile load is started and stopped around each of
 * its rounds. Alternating matters on a shared machine: other tenants' load moved a single
 * calm/hostile pair by ±30%, so each side is the mean of its rounds. Reported as ratios,
 * with the server's peak RSS during the hostile rounds.
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { cpuSeconds, descendantsRss, machineBusySeconds, ownCpuSeconds, peakRss, resetPeakRss } from './lib/children.js';
import { createSession, type IntakeServer } from './intake.js';
import { median } from './put.js';

// The figures; the variables only take one part of the load away, to see what costs what.
export const TRICKLERS = Number(process.env.INTAKE_BENCH_TRICKLERS ?? 200);
export const HOSTILE_SVGS = Number(process.env.INTAKE_BENCH_SVGS ?? 2);
const PUT_SIZE = 100 * 1000 * 1000;
const PUT_RUNS = 3;
/** Calm/hostile pairs, alternated. */
export const ROUNDS = Number(process.env.INTAKE_BENCH_HOSTILE_ROUNDS ?? 3);
const SESSION_SECONDS = 5;
const TRICKLE_EVERY_MS = 2000;
const CHUNK = randomBytes(1024 * 1024);
/** Bomb sessions each hostile client completes in turn (uploaded before the measured phase). */
const BOMBS_PER_CLIENT = 4 * ROUNDS;

export interface HostileSide {
  /** Mean of the rounds. */
  sessionsPerSecond: number;
  sessionsRounds: number[];
  sessionsNon2xx: number;
  /** CPU shares of each round's session phase. */
  sessionsCpu: CpuShare[];
  /** Median of every PUT of every round. */
  putMbPerSecond: number;
  putRuns: number[];
}

export interface HostileResult {
  calm: HostileSide;
  hostile: HostileSide;
  sessionsRatio: number;
  putRatio: number;
  /** Server RSS when the hostile phase began, and its peak during it. */
  rssBeforeBytes: number;
  peakRssBytes: number;
  /** Highest summed RSS of the image child processes seen (sampled every 100 ms). */
  childrenPeakRssBytes: number;
  /** Trickling connections the server cut off (each reconnected), and hostile SVGs refused. */
  tricklersCut: number;
  svgsRefused: number;
  svgAnswers: Record<string, number>;
}

/** Where the machine's CPU went during one measured session phase, in cores. */
export interface CpuShare {
  api: number;
  loadGenerator: number;
  /** Everything else: image decoders, other tenants of the machine. */
  rest: number;
}

async function sessionsPerSecond(intake: IntakeServer): Promise<{ rps: number; non2xx: number; cpu: CpuShare }> {
  const opts = {
    url: `${intake.url}/v1/uploads`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${intake.key}` },
    body: JSON.stringify({ filename: 'a.png', content_type: 'image/png', file_size: 1000 }),
    connections: 50,
  };
  await autocannon({ ...opts, duration: 1 });
  const api0 = ownCpuSeconds(intake.pid);
  const self0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const started = process.hrtime.bigint();
  const r = await autocannon({ ...opts, duration: SESSION_SECONDS });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const api = (ownCpuSeconds(intake.pid) - api0) / seconds;
  const self = process.cpuUsage(self0);
  const loadGenerator = (self.user + self.system) / 1e6 / seconds;
  const rest = Math.max(0, (machineBusySeconds() - busy0) / seconds - api - loadGenerator);
  return { rps: r.requests.total / r.duration, non2xx: r.non2xx + r.errors + r.timeouts, cpu: { api, loadGenerator, rest } };
}

async function putOnce(intake: IntakeServer): Promise<number> {
  const session = await createSession(intake, 'big.mp4', 'video/mp4', PUT_SIZE);
  const started = process.hrtime.bigint();
  const req = http.request(session.upload_url, { method: 'PUT', agent: false, headers: { ...session.upload_method.headers, 'content-length': String(PUT_SIZE) } });
  const answered = once(req, 'response').then(async ([res]: http.IncomingMessage[]) => {
    let body = '';
    for await (const chunk of res!) body += String(chunk);
    if (res!.statusCode !== 200) throw new Error(`PUT → ${res!.statusCode}: ${body}`);
    return JSON.parse(body) as { data: { key: string } };
  });
  for (let sent = 0; sent < PUT_SIZE; sent += CHUNK.length) {
    const n = Math.min(CHUNK.length, PUT_SIZE - sent);
    if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await once(req, 'drain');
  }
  req.end();
  const { data } = await answered;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await fs.rm(path.join(intake.dataDir, 'storage', 'objects', data.key), { force: true });
  return PUT_SIZE / 1e6 / seconds;
}

/** One round: sessions for SESSION_SECONDS, then PUT_RUNS PUTs, added to `side`. */
async function measure(intake: IntakeServer, side: HostileSide): Promise<void> {
  const s = await sessionsPerSecond(intake);
  side.sessionsRounds.push(s.rps);
  side.sessionsNon2xx += s.non2xx;
  side.sessionsCpu.push(s.cpu);
  process.stderr.write(`    ${s.rps.toFixed(0)} sessions/s; cores busy: API ${s.cpu.api.toFixed(2)}, load generator ${s.cpu.loadGenerator.toFixed(2)}, the rest ${s.cpu.rest.toFixed(2)}\n`);
  for (let i = 0; i < PUT_RUNS; i++) side.putRuns.push(await putOnce(intake));
  side.sessionsPerSecond = side.sessionsRounds.reduce((a, b) => a + b, 0) / side.sessionsRounds.length;
  side.putMbPerSecond = median(side.putRuns);
}

/**
 * Resolves once the server and its child processes have used under 3% of a core for 2 s
 * running (or at the deadline): accepted SVGs' rendition jobs start one after another, with
 * a moment of quiet between them.
 */
async function quiet(pid: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let before = await cpuSeconds(pid);
  let quietWindows = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await cpuSeconds(pid);
    quietWindows = now - before < 0.015 ? quietWindows + 1 : 0;
    if (quietWindows === 4) return;
    before = now;
  }
  process.stderr.write(`  hostile: the server was still busy ${withinMs / 1000} s after the hostile round\n`);
}

const emptySide = (): HostileSide => ({ sessionsPerSecond: 0, sessionsRounds: [], sessionsNon2xx: 0, sessionsCpu: [], putMbPerSecond: 0, putRuns: [] });

/** One PUT body trickled a byte every TRICKLE_EVERY_MS; reconnects whenever the server hangs up. */
function trickler(url: string, stats: { cut: number; open: number }, stopped: () => boolean): void {
  const u = new URL(url);
  const connect = () => {
    if (stopped()) return;
    const socket = net.connect(Number(u.port), u.hostname);
    let timer: NodeJS.Timeout | undefined;
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      stats.open++;
      socket.write(`PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/zip\r\nContent-Length: 1000000\r\n\r\n`);
      timer = setInterval(() => socket.write('x'), TRICKLE_EVERY_MS);
    });
    socket.on('close', () => {
      clearInterval(timer);
      stats.open--;
      if (stopped()) return;
      stats.cut++;
      setTimeout(connect, 100);
    });
    closers.add(() => socket.destroy());
  };
  connect();
}
const closers = new Set<() => void>();

/** An SVG of a million elements: ~28 MB of file, ~1.6 GB for librsvg to parse unguarded. */
function svgOfRects(): Buffer {
  const parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'];
  for (let i = 0; i < 1_000_000; i++) parts.push('<rect x="1" y="2" width="3" height="4"/>');
  parts.push('</svg>');
  return Buffer.from(parts.join(''));
}

/** 90,000 heavy text elements (~30 MB): under the element limit, ~3 s and ~320 MB in librsvg. */
function svgOfText(): Buffer {
  const parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'];
  const text = 'A'.repeat(200);
  for (let i = 0; i < 90_000; i++) {
    parts.push(`<text x="1" y="2" style="fill:red;stroke:blue;stroke-width:3;font-family:serif" transform="rotate(3) scale(2) translate(1,1)">${text}</text>`);
  }
  parts.push('</svg>');
  return Buffer.from(parts.join(''));
}

/** Summed RSS of the server's child processes (its image decoders), read from /proc. */
/** Bomb sessions with their bytes already sent: completing one makes Intake look at 28 MB of SVG. */
async function uploadBombs(intake: IntakeServer, bombs: Buffer[], count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const bomb = bombs[i % bombs.length]!;
    const session = await createSession(intake, 'bomb.svg', 'image/svg+xml', bomb.length);
    const sent = await fetch(session.upload_url, { method: 'PUT', headers: session.upload_method.headers, body: bomb });
    if (sent.status !== 200) throw new Error(`bomb PUT → ${sent.status}: ${await sent.text()}`);
    ids.push((session as unknown as { upload_id: string }).upload_id);
  }
  return ids;
}

/** Completes bomb sessions one after another, so one is always being examined (`ids` is shared across rounds). */
async function svgLoop(intake: IntakeServer, ids: string[], answers: Record<string, number>, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const id = ids.shift();
    if (!id) {
      // Reported with the answers: the SVG load stopped early in that round (raise BOMBS_PER_CLIENT).
      answers['ran out of bombs'] = (answers['ran out of bombs'] ?? 0) + 1;
      return;
    }
    const res = await fetch(`${intake.url}/v1/uploads/${id}/complete`, { method: 'POST', headers: { authorization: `Bearer ${intake.key}` } });
    const body = (await res.json()) as { error?: { details?: { reason?: string } } };
    const label = `${res.status} ${body.error?.details?.reason ?? ''}`.trim();
    answers[label] = (answers[label] ?? 0) + 1;
  }
}

export async function benchHostile(intake: IntakeServer): Promise<HostileResult> {
  const urls: string[] = [];
  for (let i = 0; i < TRICKLERS; i++) urls.push((await createSession(intake, `t${i}.zip`, 'application/zip', 1_000_000)).upload_url);
  // Client i takes sessions i, i+2, i+4…: each alternates the two kinds of bomb.
  const rects = svgOfRects();
  const text = svgOfText();
  const bombs = await uploadBombs(intake, [rects, rects, text, text], HOSTILE_SVGS * BOMBS_PER_CLIENT);
  const queues = Array.from({ length: HOSTILE_SVGS }, (_, i) => bombs.filter((_, j) => j % HOSTILE_SVGS === i));
  const calm = emptySide();
  const hostile = emptySide();
  const stats = { cut: 0, open: 0 };
  const svgAnswers: Record<string, number> = {};
  let childrenPeak = 0;
  let rssBefore = 0;
  let peakDuringHostile = 0;
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`  hostile: round ${round + 1}/${ROUNDS}, calm\n`);
    await measure(intake, calm);
    // The peak of the hostile rounds only: reset after each calm round.
    const rss = await resetPeakRss(intake.pid);
    if (round === 0) rssBefore = rss;
    let stop = false;
    const sampler = setInterval(() => {
      void descendantsRss(intake.pid).then((n) => (childrenPeak = Math.max(childrenPeak, n)));
    }, 100);
    for (const url of urls) trickler(url, stats, () => stop);
    const loops = queues.map((ids) => svgLoop(intake, ids, svgAnswers, () => stop));
    const deadline = Date.now() + 10_000;
    while (stats.open < TRICKLERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.stderr.write(`  hostile: round ${round + 1}/${ROUNDS}, ${stats.open} trickling connections open, ${HOSTILE_SVGS} SVG bombs looping\n`);
    try {
      await measure(intake, hostile);
    } finally {
      stop = true;
      clearInterval(sampler);
      for (const close of closers) close();
      closers.clear();
      await Promise.all(loops);
    }
    peakDuringHostile = Math.max(peakDuringHostile, await peakRss(intake.pid));
    // The next calm round starts once the trickling sockets are gone (an SVG in flight was
    // answered above) and the renditions of the SVGs that were accepted are done: left
    // running, they would count against the calm side.
    const gone = Date.now() + 10_000;
    while (stats.open > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    await quiet(intake.pid, 120_000);
  }
  const refused = Object.entries(svgAnswers).filter(([k]) => k.startsWith('413')).reduce((n, [, v]) => n + v, 0);
  const result: HostileResult = {
    calm,
    hostile,
    sessionsRatio: hostile.sessionsPerSecond / calm.sessionsPerSecond,
    putRatio: hostile.putMbPerSecond / calm.putMbPerSecond,
    rssBeforeBytes: rssBefore,
    peakRssBytes: peakDuringHostile,
    childrenPeakRssBytes: childrenPeak,
    tricklersCut: stats.cut,
    svgsRefused: refused,
    svgAnswers,
  };
  process.stderr.write(`  hostile: sessions ${result.sessionsRatio.toFixed(2)}×, PUT ${result.putRatio.toFixed(2)}×, peak RSS ${(result.peakRssBytes / 1e6).toFixed(0)} MB\n`);
  return result;
}
export function hostileSummary(h: HostileResult): string {
  const f = (n: number, d = 0) => n.toFixed(d);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const cores = (cpu: CpuShare[]) => [mean(cpu.map((c) => c.api)), mean(cpu.map((c) => c.loadGenerator)), mean(cpu.map((c) => c.rest))].map((n) => f(n, 2)).join(' / ');
  return [
    `Hostile load: ${TRICKLERS} trickling PUTs (1 byte / ${TRICKLE_EVERY_MS / 1000} s, reconnecting) + ${HOSTILE_SVGS} clients completing hostile SVGs back to back (1M elements; 90k heavy text elements); ${h.calm.sessionsRounds.length} calm and hostile rounds, alternated`,
    `  sessions/s       calm ${f(h.calm.sessionsPerSecond)}   hostile ${f(h.hostile.sessionsPerSecond)}   ratio ${f(h.sessionsRatio, 2)}   (rounds ${h.calm.sessionsRounds.map((v) => f(v)).join(' ')} / ${h.hostile.sessionsRounds.map((v) => f(v)).join(' ')}; non-2xx ${h.calm.sessionsNon2xx} / ${h.hostile.sessionsNon2xx})`,
    `  100 MB PUT MB/s  calm ${f(h.calm.putMbPerSecond)}   hostile ${f(h.hostile.putMbPerSecond)}   ratio ${f(h.putRatio, 2)}   (runs ${h.calm.putRuns.map((v) => f(v)).join(' ')} / ${h.hostile.putRuns.map((v) => f(v)).join(' ')})`,
    `  cores busy while sessions ran (API / load generator / the rest)   calm ${cores(h.calm.sessionsCpu)}   hostile ${cores(h.hostile.sessionsCpu)}`,
    `  server RSS MB    at start ${f(h.rssBeforeBytes / 1e6)}   peak ${f(h.peakRssBytes / 1e6)}   (child processes: image decoders, summed, peak ${f(h.childrenPeakRssBytes / 1e6)})`,
    `  tricklers cut off and reconnected: ${h.tricklersCut}; SVG answers: ${JSON.stringify(h.svgAnswers)}`,
  ].join('\n');
}

export function hostileGoals(h: HostileResult): Array<{ name: string; target: string; actual: string; met: boolean }> {
  const rss = h.peakRssBytes / 1e6;
  return [
    { name: 'Sessions/s under hostile load / calm', target: '≥ 0.8', actual: h.sessionsRatio.toFixed(2), met: h.sessionsRatio >= 0.8 },
    { name: '100 MB PUT under hostile load / calm', target: '≥ 0.8', actual: h.putRatio.toFixed(2), met: h.putRatio >= 0.8 },
    { name: 'Server peak RSS under hostile load', target: '< 300 MB', actual: `${rss.toFixed(0)} MB`, met: rss < 300 },
  ];
}

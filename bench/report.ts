/**
 * Turns results into the goal verdicts, a plain-text summary for stdout and the JSON
 * record in bench/results/latest.json. MB means 10^6 bytes throughout.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hostileGoals, hostileSummary, type HostileResult } from './hostile.js';
import type { PutResult, PutSide } from './put.js';
import type { LoadSide, SessionsResult } from './sessions.js';

export interface Goal {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

export interface Report {
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryMb: number; kernel: string; node: string };
  /** 1-minute load average before and after: other work on a shared machine skews every number. */
  load: { before: number; after: number };
  put: PutResult;
  sessions: SessionsResult;
  hostile?: HostileResult;
  goals: Goal[];
}

const MB = 1e6;
const fixed = (n: number, digits = 0) => n.toFixed(digits);

function machine(): Report['machine'] {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / MB),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

function goals(put: PutResult, s: SessionsResult): Goal[] {
  return [
    { name: 'PUT throughput, Intake / sink', target: '≥ 0.85', actual: fixed(put.ratio, 2), met: put.ratio >= 0.85 },
    ...putGoals(put),
    { name: 'Sessions created per second', target: '≥ 3000', actual: fixed(s.intake.requestsPerSecond), met: s.intake.requestsPerSecond >= 3000 },
    { name: 'Session p99 latency', target: '< 25 ms', actual: `${s.intake.p99Ms} ms`, met: s.intake.p99Ms < 25 },
    { name: 'Session non-2xx + errors', target: '0', actual: String(s.intake.non2xx + s.intake.errors), met: s.intake.non2xx + s.intake.errors === 0 },
    ...(s.insertHmac
      ? [{ name: 'Sessions/s, Intake / insert + HMAC route', target: '≥ 0.5', actual: fixed(s.intake.requestsPerSecond / s.insertHmac.requestsPerSecond, 2), met: s.intake.requestsPerSecond >= 0.5 * s.insertHmac.requestsPerSecond }]
      : []),
  ];
}

export function buildReport(put: PutResult, sessions: SessionsResult, loadBefore: number, hostile?: HostileResult): Report {
  const load = { before: loadBefore, after: os.loadavg()[0]! };
  const all = [...goals(put, sessions), ...(hostile ? hostileGoals(hostile) : [])];
  return { finishedAt: new Date().toISOString(), machine: machine(), load, put, sessions, hostile, goals: all };
}

/** Rows of label, baseline, Intake, ratio, padded into columns. */
function table(title: string, head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  return [title, line(head), ...rows.map(line)].join('\n');
}

const ratio = (a: number, b: number) => fixed(a / b, 2);

/** Peak RSS of the server's whole process tree: the process and its children, each at its own peak. */
export const treePeakRss = (s: PutSide) => s.peakRssBytes + s.childrenPeakRssBytes;

/**
 * Raw sink, Intake and (when they ran) tus-node-server and Intake's keep-alive PUT side by
 * side, with Intake's ratios to the sink and to tus.
 */
export function putTable(put: PutResult): string {
  const { sink, intake, tus, keepAlive } = put;
  const sides = tus && keepAlive ? [sink, intake, tus, keepAlive] : [sink, intake];
  const row = (label: string, cell: (s: PutSide) => string, ratios: string[] = []) => [label, ...sides.map(cell), ...ratios];
  const mb = (bytes: number) => fixed(bytes / MB);
  const peers = tus && keepAlive;
  return table(
    `${fixed(put.sizeBytes / 1024 ** 3)} GiB PUT with curl: median of ${put.runs} alternating runs (MB = 10^6 bytes)`,
    ['', 'raw sink', 'Intake', ...(peers ? ['@tus/server', 'Intake keep-alive'] : []), 'Intake/sink', ...(peers ? ['Intake/tus', 'keep-alive/tus'] : [])],
    [
      row('throughput MB/s', (s) => fixed(s.medianMbPerSecond), [fixed(put.ratio, 2), ...(peers ? [fixed(put.tusRatio!, 2), fixed(put.keepAliveTusRatio!, 2)] : [])]),
      row('all runs MB/s', (s) => s.mbPerSecond.map((v) => fixed(v)).join(' ')),
      row('server CPU s per GiB', (s) => fixed(s.cpuSecondsPerGib, 2), [ratio(intake.cpuSecondsPerGib, sink.cpuSecondsPerGib), ...(peers ? [ratio(intake.cpuSecondsPerGib, tus.cpuSecondsPerGib), ratio(keepAlive.cpuSecondsPerGib, tus.cpuSecondsPerGib)] : [])]),
      row('server idle RSS MB', (s) => mb(s.rssBeforeBytes)),
      row('server peak RSS MB (VmHWM)', (s) => mb(s.peakRssBytes)),
      row('… its child processes, peak RSS MB', (s) => mb(s.childrenPeakRssBytes)),
      row('whole process tree, peak RSS MB', (s) => mb(treePeakRss(s))),
    ],
  );
}

/** The goals of `npm run bench -- put` (issue "simplify"): the PUT against tus, in one process tree under 200 MB. */
export function putGoals(put: PutResult): Goal[] {
  if (!put.tusRatio || !put.keepAliveTusRatio) return [];
  const rss = treePeakRss(put.intake) / MB;
  return [
    { name: 'PUT throughput, Intake / @tus/server', target: '≥ 0.9', actual: fixed(put.tusRatio, 2), met: put.tusRatio >= 0.9 },
    { name: 'keep-alive PUT after an API call, Intake / @tus/server', target: '≥ 0.9', actual: fixed(put.keepAliveTusRatio, 2), met: put.keepAliveTusRatio >= 0.9 },
    { name: 'PUT peak RSS, whole Intake process tree', target: '< 200 MB', actual: `${fixed(rss)} MB`, met: rss < 200 },
  ];
}

function loadTable(s: SessionsResult): string {
  const { baseline: b, intake: i } = s;
  // The insert + HMAC route (when measured) is the baseline of issue 11's goal: Intake ≥ 0.5 of it.
  const h = s.insertHmac;
  const cols = (f: (x: LoadSide) => string) => (h ? [f(b), f(h), f(i)] : [f(b), f(i)]);
  const ratios = (f: (x: LoadSide) => number) => (h ? [ratio(f(i), f(b)), ratio(f(i), f(h))] : [ratio(f(i), f(b))]);
  return table(
    `POST /v1/uploads: ${s.connections} connections, ${s.seconds} s measured after a warm-up`,
    h ? ['', 'bare Fastify', 'insert + HMAC', 'Intake', 'Intake/bare', 'Intake/insert'] : ['', 'bare Fastify', 'Intake', 'Intake/base'],
    [
      ['requests/s', ...cols((x) => fixed(x.requestsPerSecond)), ...ratios((x) => x.requestsPerSecond)],
      ['p50 latency ms', ...cols((x) => String(x.p50Ms))],
      ['p99 latency ms', ...cols((x) => String(x.p99Ms))],
      ['max latency ms', ...cols((x) => String(x.maxMs))],
      ['server CPU µs/request', ...cols((x) => fixed(x.cpuMicrosPerRequest)), ...ratios((x) => x.cpuMicrosPerRequest)],
      ['non-2xx / errors', ...cols((x) => `${x.non2xx} / ${x.errors}`)],
      ['server RSS after warm-up MB', ...cols((x) => fixed(x.rssBeforeBytes / MB))],
      ['server peak RSS MB', ...cols((x) => fixed(x.peakRssBytes / MB))],
    ],
  );
}

export function summary(r: Report): string {
  const m = r.machine;
  // The load generator and the server already take both CPUs of a 2-core machine.
  const busy = Math.max(r.load.before, r.load.after) > m.cpus;
  return [
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryMb} MB RAM, ${m.kernel}, Node ${m.node}`,
    `Load average (1 min): ${r.load.before.toFixed(2)} before, ${r.load.after.toFixed(2)} after`,
    '',
    putTable(r.put),
    '',
    loadTable(r.sessions),
    '',
    ...(r.hostile ? [hostileSummary(r.hostile), ''] : []),
    'Goals',
    ...r.goals.map((g) => `  [${g.met ? 'PASS' : 'FAIL'}] ${g.name}: ${g.actual} (goal ${g.target})`),
    ...(busy ? ['', 'Note: other processes competed for the CPUs; ratios hold up better than absolute numbers.'] : []),
  ].join('\n');
}

export async function writeJson(r: Report, file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
}

/**
 * The webhook-flood line of `npm run bench -- hostile`: how long another namespace waits
 * for its webhook while one namespace's 40 hooks point at an endpoint that never answers
 * (each delivery held until its 10 s timeout). Namespace B's delivery latency (form upload
 * accepted → its upload.completed POST received) is sampled calm first, then during A's
 * flood, on the same server: reported as p95s and their ratio. Goal: flood p95 < 5 s.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Cleanup } from './lib/children.js';
import { ADMIN_KEY, startIntake, type IntakeServer } from './intake.js';

const HOOKS = 40;
const SAMPLES = Number(process.env.INTAKE_BENCH_FLOOD_SAMPLES ?? 10);
const GOAL_MS = 5_000;

export interface FloodResult {
  hooks: number;
  calmMs: number[];
  floodMs: number[];
  calmP95Ms: number;
  floodP95Ms: number;
}

export function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? Number.NaN;
}

async function post<T>(url: string, key: string, route: string, json: unknown): Promise<T> {
  const res = await fetch(url + route, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  const body = (await res.json()) as { data: T };
  if (!res.ok) throw new Error(`POST ${route} → ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

async function formUpload(intake: IntakeServer, key: string, text: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([text], { type: 'text/plain' }), 'flood.txt');
  const res = await fetch(`${intake.url}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const body = (await res.json()) as { data: { id: string } };
  if (res.status !== 202) throw new Error(`form upload → ${res.status}: ${JSON.stringify(body)}`);
  return body.data.id;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)));
}

export async function benchWebhookFlood(cleanup: Cleanup): Promise<FloodResult> {
  const intake = await startIntake(cleanup, { INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  const sockets = new Set<Socket>();
  const silent = http.createServer((req) => void req.resume());
  silent.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const waiting = new Map<string, () => void>();
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      res.writeHead(204).end();
      const id = (JSON.parse(body) as { data: { upload_id: string } }).data.upload_id;
      waiting.get(id)?.();
    });
  });
  const [silentUrl, receiverUrl] = [await listen(silent), await listen(receiver)];
  try {
    const b = await post<{ id: string }>(intake.url, ADMIN_KEY, '/v1/namespaces', { name: 'bench-b' });
    const bKey = (await post<{ secret: string }>(intake.url, ADMIN_KEY, '/v1/keys', { namespace_id: b.id, name: 'bench-b' })).secret;
    await post(intake.url, bKey, '/v1/webhooks', { url: receiverUrl, events: ['upload.completed'] });
    for (let i = 0; i < HOOKS; i++) await post(intake.url, intake.key, '/v1/webhooks', { url: silentUrl, events: ['upload.completed'] });

    const sample = async (n: number): Promise<number> => {
      const started = performance.now();
      let arrived!: () => void;
      const got = new Promise<void>((r) => (arrived = r));
      const id = await formUpload(intake, bKey, `sample ${n} ${Math.random()}\n`);
      waiting.set(id, arrived);
      await got;
      waiting.delete(id);
      return performance.now() - started;
    };
    const calmMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) calmMs.push(await sample(i));
    // A's flood: every one of its uploads makes 40 deliveries that hang 10 s each.
    const floodMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await formUpload(intake, intake.key, `flood ${i} ${Math.random()}\n`);
      floodMs.push(await sample(SAMPLES + i));
    }
    const result = { hooks: HOOKS, calmMs, floodMs, calmP95Ms: p95(calmMs), floodP95Ms: p95(floodMs) };
    process.stderr.write(`  webhook flood: B's delivery p95 calm ${result.calmP95Ms.toFixed(0)} ms, during A's flood ${result.floodP95Ms.toFixed(0)} ms\n`);
    return result;
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
    receiver.close();
  }
}

export function floodSummary(f: FloodResult): string {
  const ratio = f.floodP95Ms / f.calmP95Ms;
  return `Webhook flood: another namespace's delivery latency p95 calm ${f.calmP95Ms.toFixed(0)} ms, while one namespace's ${f.hooks} hooks hang ${f.floodP95Ms.toFixed(0)} ms (ratio ${ratio.toFixed(2)}; ${f.floodMs.length} samples each)`;
}

export function floodGoal(f: FloodResult): { name: string; target: string; actual: string; met: boolean } {
  return { name: `Another namespace's webhook p95 while ${f.hooks} hooks hang`, target: `< ${GOAL_MS / 1000} s`, actual: `${(f.floodP95Ms / 1000).toFixed(2)} s`, met: f.floodP95Ms < GOAL_MS };
}

/**
 * One tenant's slow webhook endpoints do not delay another's: namespace A has 40 hooks to
 * a receiver on loopback that never answers, and namespace B's delivery still arrives
 * promptly, because a namespace runs at most NAMESPACE_DELIVERIES deliveries at once and
 * its other jobs step aside without spending an attempt.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NAMESPACE_DELIVERIES } from '../../src/webhooks/deliver.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';

let t: TestIntake;
let hang: http.Server;
let good: http.Server;
const hangSockets = new Set<Socket>();
let hanging = 0;
let mostHanging = 0;
const arrived: string[] = [];

const urlOf = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hooks`;

before(async () => {
  t = await startIntake({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  // Takes the request and never answers.
  hang = http.createServer((req) => {
    hanging += 1;
    mostHanging = Math.max(mostHanging, hanging);
    req.socket.once('close', () => (hanging -= 1));
    req.resume();
  });
  hang.on('connection', (s: Socket) => {
    hangSockets.add(s);
    s.once('close', () => hangSockets.delete(s));
  });
  good = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      arrived.push(body);
      res.writeHead(204).end();
    });
  });
  await Promise.all([hang, good].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});
after(async () => {
  // Refuse new connections and cut the hanging ones: the deliveries still due fail fast.
  const closed = Promise.all([hang, good].map((s) => new Promise((r) => s.close(r))));
  for (const s of hangSockets) s.destroy();
  await t.close();
  await closed;
});

/** A small form upload; its completion emits upload.completed. */
async function upload(key: string, name: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([`hello from ${name}\n`], { type: 'text/plain' }), `${name}.txt`);
  const res = await fetch(`${t.url}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { data: { id: string } }).data.id;
}

describe("a namespace's 40 hooks to an endpoint that never answers", () => {
  it("hold at most its share of the delivery slots; another namespace's delivery arrives promptly", { timeout: 60_000 }, async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    for (let i = 0; i < 40; i++) {
      const res = await t.api('POST', '/v1/webhooks', { key: a.key, json: { url: urlOf(hang), events: ['upload.completed'] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    assert.equal((await t.api('POST', '/v1/webhooks', { key: b.key, json: { url: urlOf(good), events: ['upload.completed'] } })).status, 201);

    await upload(a.key, 'a');
    // A's deliveries are under way and hanging.
    await eventually(async () => hanging >= NAMESPACE_DELIVERIES, 10_000, "A's deliveries to reach the silent endpoint");
    const uploadB = await upload(b.key, 'b');
    // Before the cap, 4 shared slots held by A's 10 s timeouts kept this waiting ~100 s.
    const got = await eventually(async () => arrived.find((body) => body.includes(uploadB)), 8_000, "B's delivery");
    assert.equal(JSON.parse(got).type, 'upload.completed');
    assert.ok(mostHanging <= NAMESPACE_DELIVERIES, `${mostHanging} of A's deliveries ran at once`);

    // A's deliveries stepped aside without spending attempts: none is failed, each tried at most once.
    const hooks = (await t.api('GET', '/v1/webhooks', { key: a.key })).body.data as Array<{ id: string }>;
    assert.equal(hooks.length, 40);
    for (const h of hooks.slice(0, 5)) {
      const log = (await t.api('GET', `/v1/webhooks/${h.id}/deliveries`, { key: a.key })).body.data as Array<{ status: string; attempts: number }>;
      assert.equal(log.length, 1);
      assert.equal(log[0]!.status, 'pending');
      assert.ok(log[0]!.attempts <= 1, `attempts ${log[0]!.attempts}`);
    }
  });
});

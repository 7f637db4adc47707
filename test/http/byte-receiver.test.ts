/**
 * The byte receiver (http/byte-receiver/): signed-URL PUTs are handed, socket and all, to
 * a small child process that streams their bodies to disk, while the API process runs the
 * route. These tests run the real front and the real child: what they carry, what they
 * hand back to the API server, and what happens when either process dies.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, eventually, freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { spawnServe } from '../helpers/serve-process.js';
import http from 'node:http';
import { assertError, createSession, parsed } from './error-helpers.js';
import { heldPut } from './slow-client.js';

const MIB = 1024 * 1024;

/** Text that passes verification as text/plain (random, so no two are alike). */
function text(size: number): Buffer {
  return Buffer.from(randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size), 'latin1');
}

/**
 * A PUT on a connection of its own, as a browser's or SDK's first request to the upload
 * URL is. (fetch() would reuse a keep-alive connection the test's API calls opened, and a
 * connection that began with another request stays with the API server.)
 */
function put(url: string, body: Buffer, contentType: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', agent: false, headers: { 'content-type': contentType, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes on a new connection and resolves with everything the server sent back until it closed. */
function raw(url: string, ...writes: (string | Buffer)[]): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('connect', () => {
      for (const w of writes) socket.write(w);
    });
  });
}

function headOf(url: string, length: number, extra: string[] = []): string {
  const u = new URL(url);
  return [`PUT ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, `Content-Length: ${length}`, ...extra].join('\r\n') + '\r\n\r\n';
}

describe('byte receiver', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake();
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  const front = () => {
    const f = t.intake.front;
    assert.ok(f, 'intake.listen() ran the byte front on local disk');
    return f;
  };

  it('receives a signed PUT in its own process; complete verifies the SHA-256 of what it wrote', async () => {
    const bytes = text(8 * MIB + 123);
    const s = await createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: bytes.length, file_hash: sha256(bytes) });
    const relayed = front().relayedConnections;
    const res = await put(s.upload_url, bytes, 'text/plain');
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('connection'), 'close');
    assert.ok(res.headers.get('etag'));
    assert.equal(front().relayedConnections, relayed + 1, 'the PUT went through the receiver');
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.status, 'completed');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('receives the parts of a resumable session; they assemble into the right bytes', async () => {
    const bytes = text(11 * MIB);
    const s = await createSession(t, key, { filename: 'b.txt', content_type: 'text/plain', file_size: bytes.length, file_hash: sha256(bytes), resumable: true, part_size: 5 * MIB });
    const relayed = front().relayedConnections;
    const parts = s.parts.urls as { part_number: number; url: string }[];
    assert.equal(parts.length, 3);
    // Out of order and in parallel.
    const answers = await Promise.all(
      [...parts].reverse().map((p) => put(p.url, bytes.subarray((p.part_number - 1) * 5 * MIB, p.part_number * 5 * MIB), 'application/octet-stream')),
    );
    for (const a of answers) assert.equal(a.status, 200, await a.clone().text());
    assert.equal(front().relayedConnections, relayed + 3);
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.data.status, 'completed');
  });

  it('answers a refusal the API decided (bad signature, too large) while the body is still coming, and keeps nothing', async () => {
    const bytes = randomBytes(4 * MIB);
    const s = await createSession(t, key, { filename: 'c.zip', content_type: 'application/zip', file_size: bytes.length });
    // Any first character of the signature (base64url has - and _ too) becomes another one.
    const tampered = s.upload_url.replace(/sig=([^&])/, (_m: string, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    assert.notEqual(tampered, s.upload_url);
    assertError(await parsed(await put(tampered, bytes, 'application/zip')), 403, 'forbidden');
    assertError(await parsed(await put(s.upload_url, Buffer.concat([bytes, Buffer.alloc(1)]), 'application/zip')), 413, 'file_too_large');
    assert.deepEqual(await t.tempFiles(), []);
    const row = await t.intake.deps.store.uploads.findById(s.upload_id);
    assert.equal(row?.received_size, null);
  });

  it('keeps nothing from a client that goes away mid-body; the session then takes the whole PUT', async () => {
    const bytes = randomBytes(6 * MIB);
    const s = await createSession(t, key, { filename: 'd.zip', content_type: 'application/zip', file_size: bytes.length });
    const held = heldPut(s.upload_url, 'application/zip', bytes.length);
    held.write(bytes.subarray(0, 2 * MIB));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the body to reach a temp file');
    held.abort();
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp file to go');
    const row = await t.intake.deps.store.uploads.findById(s.upload_id);
    assert.equal(row?.received_size, null);
    assert.equal((await put(s.upload_url, bytes, 'application/zip')).status, 200);
  });

  it('answers Expect: 100-continue before the body is sent', async () => {
    const bytes = Buffer.from('hello, expect');
    const s = await createSession(t, key, { filename: 'e.txt', content_type: 'text/plain', file_size: bytes.length });
    const u = new URL(s.upload_url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(u.port), u.hostname);
      let text = '';
      socket.on('error', reject);
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        // The body goes only once the server asked for it.
        if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !socket.writableEnded) socket.end(bytes);
      });
      socket.on('close', () => resolve(text));
      socket.on('connect', () => socket.write(headOf(s.upload_url, bytes.length, ['Content-Type: text/plain', 'Expect: 100-continue'])));
    });
    assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('leaves to the API server what it cannot take: a chunked PUT, other routes, a keep-alive connection', async () => {
    const bytes = Buffer.from('chunked body');
    const s = await createSession(t, key, { filename: 'f.txt', content_type: 'text/plain', file_size: bytes.length });
    const relayed = front().relayedConnections;
    const head = headOf(s.upload_url, 0).replace('Content-Length: 0', 'Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\nConnection: close');
    const answer = await raw(s.upload_url, head, `${bytes.length.toString(16)}\r\n`, bytes, '\r\n0\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(front().relayedConnections, relayed, 'the chunked PUT stayed with the API server');
    // Two requests on one keep-alive connection, then a PUT split before its path is known.
    const health = await raw(t.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(health.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    const s2 = await createSession(t, key, { filename: 'g.txt', content_type: 'text/plain', file_size: 3 });
    const full = headOf(s2.upload_url, 3, ['Content-Type: text/plain']);
    const split = await raw(s2.upload_url, full.slice(0, 5), full.slice(5, 40), full.slice(40), 'abc');
    assert.match(split, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(front().relayedConnections, relayed + 1);
  });

  it('comes back after being killed mid-upload: that upload fails and leaves nothing, the next one is received by the new receiver', async () => {
    const bytes = text(4 * MIB);
    const s = await createSession(t, key, { filename: 'h.txt', content_type: 'text/plain', file_size: bytes.length, file_hash: sha256(bytes) });
    const first = front().receiverPid!;
    assert.ok(first);
    const held = heldPut(s.upload_url, 'text/plain', bytes.length);
    held.write(bytes.subarray(0, MIB));
    await eventually(async () => (await t.tempFiles()).length === 1, 5000, 'the body to reach a temp file');
    process.kill(first, 'SIGKILL');
    await assert.rejects(held.answer);
    await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp file to go');
    const second = await eventually(async () => {
      const pid = front().receiverPid;
      return pid !== undefined && pid !== first ? pid : undefined;
    }, 10_000, 'a new receiver');
    const relayed = front().relayedConnections;
    assert.equal((await put(s.upload_url, bytes, 'text/plain')).status, 200);
    assert.equal(front().relayedConnections, relayed + 1);
    assert.equal(front().receiverPid, second);
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  });
});

describe('byte receiver of a killed server', () => {
  it('exits when the API process that owns it is SIGKILLed', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-receiver-'));
    const port = await freePort();
    const server = await spawnServe({ INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port) });
    try {
      const children = async () => {
        const out: number[] = [];
        for (const name of await fs.readdir('/proc')) {
          if (!/^\d+$/.test(name)) continue;
          const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
          const cmd = await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === server.pid && cmd.includes('receiver')) out.push(Number(name));
        }
        return out;
      };
      const [receiver] = await eventually(async () => ((await children()).length === 1 ? children() : undefined), 10_000, 'the receiver to start');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(health.status, 200);
      server.kill('SIGKILL');
      await eventually(async () => !(await fs.stat(`/proc/${receiver}`).catch(() => null)), 10_000, 'the receiver to exit');
    } finally {
      server.kill('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

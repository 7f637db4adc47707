/**
 * Edges of the HTTP layer every answer must survive in the contract's envelope: an empty
 * JSON body (no body), a path that does not decode, a namespace name PATCHed with a bidi
 * override, and response heads that carry each header once (the signed PUT sent `Date` twice).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assertError, createSession, parsed, put, snapshot } from './error-helpers.js';

let t: TestIntake;
let key: string;
let namespaceId: string;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key, namespaceId } = await t.tenant());
  image = await png(16, 12);
});
after(() => t.close());

const jsonHeader = (k = key) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });

describe('an empty body with Content-Type: application/json is no body', () => {
  it('POST …/complete with the JSON header and nothing else completes the upload', async () => {
    for (const body of [undefined, '', '  \r\n']) {
      const s = await createSession(t, key, { filename: 'e.png', content_type: 'image/png', file_size: image.length });
      assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
      const res = await parsed(await fetch(`${t.url}/v1/uploads/${s.upload_id}/complete`, { method: 'POST', headers: jsonHeader(), body }));
      assert.equal(res.status, 200, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.data.status, 'completed');
    }
  });

  it('routes with a required field answer 400 naming it, never "body must be object"', async () => {
    const s = await createSession(t, key, { filename: 'r.txt', content_type: 'text/plain', file_size: 3, resumable: true, part_size: 5 * 1024 * 1024 });
    for (const [route, k, field] of [
      ['/v1/uploads', key, 'filename'],
      ['/v1/webhooks', key, 'url'],
      [`/v1/uploads/${s.upload_id}/parts`, key, 'part_numbers'],
      ['/v1/namespaces', ADMIN_KEY, 'name'],
      ['/v1/keys', ADMIN_KEY, 'namespace_id'],
      ['/v1/assets', key, 'uploads'],
    ] as const) {
      const res = assertError(await parsed(await fetch(t.url + route, { method: 'POST', headers: jsonHeader(k), body: '' })), 400, 'invalid_request', field);
      assert.doesNotMatch(res.body.error!.message, /must be object/, route);
    }
  });
});

describe('a path that does not decode is the contract 400', () => {
  for (const route of ['/p/NS/%ff', '/p/NS/logo/%ff', '/files/%ff', '/files/ns/upl/%ff?sig=x', '/v1/assets/%ff', '/v1/uploads/%ff/complete', '/%ff']) {
    it(`${route}: 400 invalid_request in the envelope, for every method`, async () => {
      const before = await snapshot(t, key);
      const url = t.url + route.replace('NS', namespaceId);
      for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
        const res = assertError(await parsed(await fetch(url, { method, headers: { authorization: `Bearer ${key}` } })), 400, 'invalid_request', 'path');
        assert.match(res.body.error!.message, /percent-encoded/);
      }
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 400);
      assert.match(head.headers.get('x-request-id') ?? '', /^req_/);
      if (route.startsWith('/files/')) assert.equal(head.headers.get('access-control-allow-origin'), '*', 'a browser can read why');
      assert.deepEqual(await snapshot(t, key), before);
    });
  }

  it('a path segment over 1000 characters is a 400 in the envelope too', async () => {
    assertError(await t.api('GET', `/v1/assets/${'a'.repeat(1001)}`, { key }), 400, 'invalid_request', 'path');
  });
});

describe('namespace and key names', () => {
  const BAD = ['evil\u202Egpj.exe', 'a\u0000b', 'two\nlines', 'zero\u200Bwidth', 'iso\u2066late'];

  it('PATCH /v1/namespaces/{id} refuses what POST refuses (bidi override, controls, format characters): 400 naming name, nothing changed', async () => {
    for (const name of BAD) {
      assertError(await t.api('POST', '/v1/namespaces', { json: { name } }), 400, 'invalid_request', 'name');
      assertError(await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { name } }), 400, 'invalid_request', 'name');
    }
    assert.equal((await t.api('GET', `/v1/namespaces/${namespaceId}`)).body.data.name, 'test');
    // Joiners stay allowed (emoji sequences, Persian and Indic text), as in filenames.
    const ok = await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { name: 'team \u{1F469}\u200D\u{1F4BB}' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await t.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { name: 'test' } })).status, 200);
  });

  it('a key name is held to the same rule', async () => {
    assertError(await t.api('POST', '/v1/keys', { json: { namespace_id: namespaceId, name: 'ci\u202Eadmin' } }), 400, 'invalid_request', 'name');
    const keys = (await t.api('GET', `/v1/keys?namespace_id=${namespaceId}`)).body.data;
    assert.ok(!keys.some((k: any) => k.name.includes('\u202E')));
  });
});

/** The raw response head of one request on its own connection: status line and header names in order. */
function rawHead(url: string, method: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; names: string[] }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let got = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const text = got.toString('latin1');
      // Skip interim answers (100 Continue); the final head ends at the first blank line after them.
      const heads = text.split('\r\n\r\n');
      const final = heads.find((h) => /^HTTP\/1\.1 [2-5]\d\d /.test(h));
      if (!final || !text.includes(`${final}\r\n\r\n`)) return;
      socket.destroy();
      const [statusLine, ...lines] = final.split('\r\n');
      resolve({ status: Number(statusLine!.split(' ')[1]), names: lines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase()) });
    });
    socket.on('error', reject);
    const all = { host: u.host, connection: 'close', ...headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    socket.write(`${method} ${u.pathname}${u.search} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
    if (body) socket.write(body);
  });
}

function assertOnce(what: string, head: { status: number; names: string[] }, status: number): void {
  assert.equal(head.status, status, what);
  const repeated = head.names.filter((n, i) => head.names.indexOf(n) !== i);
  assert.deepEqual(repeated, [], `${what}: headers sent more than once: ${repeated.join(', ')} (all: ${head.names.join(', ')})`);
  assert.equal(head.names.filter((n) => n === 'date').length, 1, `${what}: one Date`);
}

describe('every response header appears once', () => {
  it('the signed PUT (200, with and without Expect: 100-continue, and its refusals), part PUT, delivery and API answers', async () => {
    const s = await createSession(t, key, { filename: 'h.png', content_type: 'image/png', file_size: image.length });
    assertOnce('PUT 200', await rawHead(s.upload_url, 'PUT', { 'content-type': 'image/png' }, image), 200);
    assertOnce('PUT 200 after 100-continue', await rawHead(s.upload_url, 'PUT', { 'content-type': 'image/png', expect: '100-continue' }, image), 200);
    assertOnce('PUT 403', await rawHead(s.upload_url, 'PUT', { 'content-type': 'text/plain' }, image), 403);
    assertOnce('PUT 413', await rawHead(s.upload_url, 'PUT', { 'content-type': 'image/png' }, Buffer.concat([image, image])), 413);
    assertOnce('OPTIONS 204', await rawHead(s.upload_url, 'OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' }), 204);

    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assertOnce('PUT 409 after complete', await rawHead(s.upload_url, 'PUT', { 'content-type': 'image/png' }, image), 409);
    const url = done.body.data.asset.url as string;
    assertOnce('GET 200', await rawHead(url, 'GET'), 200);
    assertOnce('GET 206', await rawHead(url, 'GET', { range: 'bytes=0-9' }), 206);
    assertOnce('HEAD 200', await rawHead(url, 'HEAD'), 200);

    const r = await createSession(t, key, { filename: 'r.txt', content_type: 'text/plain', file_size: 3, resumable: true, part_size: 5 * 1024 * 1024 });
    assertOnce('part PUT 200', await rawHead(r.parts.urls[0].url, 'PUT', {}, Buffer.from('abc')), 200);

    const auth = { authorization: `Bearer ${key}` };
    assertOnce('GET /v1/uploads 200', await rawHead(`${t.url}/v1/uploads`, 'GET', auth), 200);
    assertOnce('GET 404', await rawHead(`${t.url}/v1/uploads/upl_nope`, 'GET', auth), 404);
    assertOnce('401', await rawHead(`${t.url}/v1/uploads`, 'GET'), 401);
    assertOnce('bad path 400', await rawHead(`${t.url}/files/%ff`, 'PUT', { 'content-type': 'image/png' }, image), 400);
  });
});

/**
 * Delivery URLs answer HEAD with the length a GET would send (whole or ranged), and treat
 * `If-None-Match` the way RFC 9110 says: weak comparison (`W/` ignored) and `*` for any
 * current representation, both 304.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';

let t: TestIntake;
let key: string;
let image: Buffer;
let url: string;
let etag: string;

/** HEAD with node:http: fetch() hides what Content-Length a HEAD carried. */
function head(target: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method: 'HEAD', headers }, (res) => {
      let bodyBytes = 0;
      res.on('data', (c: Buffer) => (bodyBytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bodyBytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  image = await png(64, 48);
  const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
  assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  url = done.body.data.asset.url;
  const got = await fetch(url);
  etag = got.headers.get('etag')!;
  assert.ok(etag);
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), image);
});
after(() => t.close());

describe('HEAD on a delivery URL', () => {
  it('carries the Content-Length of the whole object, and no body', async () => {
    const res = await head(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(image.length));
    assert.equal(res.headers.etag, etag);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.bodyBytes, 0);
  });

  it('with a Range, is 206 with the length of the range and its Content-Range', async () => {
    const res = await head(url, { range: 'bytes=10-19' });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-length'], '10');
    assert.equal(res.headers['content-range'], `bytes 10-19/${image.length}`);
  });
});

describe('If-None-Match', () => {
  for (const [name, value] of [
    ['the strong ETag', () => etag],
    ['the weak form W/ of the ETag', () => `W/${etag}`],
    ['* (any current representation)', () => '*'],
    ['a list holding the ETag', () => `"other", W/${etag}`],
  ] as const) {
    it(`${name} → 304 with no body`, async () => {
      const res = await fetch(url, { headers: { 'if-none-match': value() } });
      assert.equal(res.status, 304);
      assert.equal((await res.arrayBuffer()).byteLength, 0);
      assert.equal(res.headers.get('etag'), etag);
    });
  }

  it('another ETag → 200 with the bytes', async () => {
    const res = await fetch(url, { headers: { 'if-none-match': 'W/"something-else"' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), image);
  });
});

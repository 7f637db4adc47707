/**
 * Intake's own signed URLs: browsers on any origin may send bytes
 * and read delivery answers (CORS, with the headers a client needs exposed), and only
 * `bytes` ranges are honoured.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';

const ORIGIN = 'https://app.example.com';

const t = useIntake();
let image: Buffer;

before(async () => {
  image = await png(64, 48);
});

const list = (h: string | null) => (h ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

/** A completed image upload: its session and asset. */
async function delivered() {
  const s = await createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
  assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: t.key });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return { s, asset: done.body.data.asset };
}

describe('CORS on signed URLs', () => {
  it('a preflight on an upload URL is 204 allowing any origin to PUT with a Content-Type', async () => {
    const s = await createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    const res = await fetch(s.upload_url, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204, await res.text());
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok(list(res.headers.get('access-control-allow-methods')).includes('put'), String(res.headers.get('access-control-allow-methods')));
    assert.ok(list(res.headers.get('access-control-allow-headers')).includes('content-type'), String(res.headers.get('access-control-allow-headers')));
    // The preflight neither stores nor consumes anything: the session still takes its bytes.
    assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(s.upload_id)), []);
    assert.equal((await put(s.upload_url, image, 'image/png', { origin: ORIGIN })).status, 200);
  });

  it('a preflight on a signed POST URL allows POST', async () => {
    const s = await createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: image.length, method: 'POST' });
    const res = await fetch(s.upload_url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok(list(res.headers.get('access-control-allow-methods')).includes('post'));
  });

  it('a PUT from another origin is answered to any origin, with its ETag readable', async () => {
    const s = await createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    const res = await put(s.upload_url, image, 'image/png', { origin: ORIGIN });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok(list(res.headers.get('access-control-expose-headers')).includes('etag'), String(res.headers.get('access-control-expose-headers')));
    assert.ok(res.headers.get('etag'));
  });

  it('a refused PUT still carries CORS headers, so the browser can read the error', async () => {
    const s = await createSession(t, t.key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    const res = await put(s.upload_url, image, 'image/jpeg', { origin: ORIGIN });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  it('a delivery GET exposes ETag and Content-Range to any origin', async () => {
    const { asset } = await delivered();
    const whole = await fetch(asset.url, { headers: { origin: ORIGIN } });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('access-control-allow-origin'), '*');
    const exposed = list(whole.headers.get('access-control-expose-headers'));
    for (const h of ['etag', 'content-range']) assert.ok(exposed.includes(h), `${h} in ${exposed.join(', ')}`);
    await whole.arrayBuffer();

    const part = await fetch(asset.url, { headers: { origin: ORIGIN, range: 'bytes=0-9' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('access-control-allow-origin'), '*');
    assert.equal(part.headers.get('content-range'), `bytes 0-9/${image.length}`);
    await part.arrayBuffer();
  });
});

describe('Range units on delivery URLs', () => {
  it('a Range in a unit other than bytes is ignored: 200 with the whole body', async () => {
    const { asset } = await delivered();
    for (const range of ['items=0-9', 'pages=1-2']) {
      const res = await fetch(asset.url, { headers: { range } });
      assert.equal(res.status, 200, `${range} → ${res.status}`);
      assert.equal(res.headers.get('content-range'), null, range);
      assert.equal(res.headers.get('content-length'), String(image.length), range);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(sha256(body), sha256(image), range);
    }
  });

  it('a bytes Range still gives 206, and one beyond the end 416', async () => {
    const { asset } = await delivered();
    const part = await fetch(asset.url, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), image.subarray(10, 20));
    const beyond = await fetch(asset.url, { headers: { range: `bytes=${image.length + 10}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${image.length}`);
    await beyond.arrayBuffer();
  });
});

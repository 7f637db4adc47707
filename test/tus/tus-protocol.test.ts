/**
 * tus 1.0.0 as the protocol says it (https://tus.io/protocols/resumable-upload): the core
 * requests, each extension Intake names in Tus-Extension, and each error status, on a
 * real server (bytes matter). Every session that ends without an asset leaves no file
 * and no reservation behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';

const V = { 'Tus-Resumable': '1.0.0' };
const OCTETS = 'application/offset+octet-stream';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const digest = (alg: string, buf: Buffer) => createHash(alg).update(buf).digest('base64');

describe('tus protocol at /tus/', () => {
  let t: TestIntake;
  let key: string;
  let auth: Record<string, string>;
  let image: Buffer;
  before(async () => {
    t = await startIntake();
    ({ key } = await t.tenant());
    auth = { ...V, Authorization: `Bearer ${key}` };
    image = await png(90, 60);
  });
  after(async () => t?.close());

  const create = async (headers: Record<string, string>, body?: Buffer) =>
    fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth, ...headers }, body });
  const createImage = async (extra: Record<string, string> = {}) => {
    const res = await create({ 'Upload-Length': String(image.length), 'Upload-Metadata': `filename ${b64('dot.png')},filetype ${b64('image/png')}`, ...extra });
    assert.equal(res.status, 201, await res.clone().text());
    return res.headers.get('location')!;
  };
  const patch = (url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'PATCH', headers: { ...auth, 'Content-Type': OCTETS, 'Upload-Offset': String(offset), ...headers }, body });
  const head = (url: string, headers = auth) => fetch(url, { method: 'HEAD', headers });
  // Reservations only: renditions of earlier tests' assets land in stored_bytes in the background.
  const usage = async () => ((await t.api('GET', '/v1/usage', { key })).body.data as { reserved_bytes: number }).reserved_bytes;
  const leftFor = async (url: string) => (await t.storedFiles()).filter((f) => f.includes(url.split('/').pop()!));

  it('OPTIONS names the version, extensions, checksum algorithms and maximum size, without Tus-Resumable', async () => {
    const res = await fetch(`${t.url}/tus/`, { method: 'OPTIONS' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('tus-version'), '1.0.0');
    assert.deepEqual(res.headers.get('tus-extension')!.split(','), ['creation', 'creation-with-upload', 'creation-defer-length', 'expiration', 'checksum', 'termination', 'concatenation']);
    assert.deepEqual(res.headers.get('tus-checksum-algorithm')!.split(','), ['sha1', 'sha256', 'md5']);
    assert.ok(Number(res.headers.get('tus-max-size')) > 0);
    assert.match(res.headers.get('access-control-allow-headers')!, /Upload-Offset/);
  });

  it('412 without Tus-Resumable: 1.0.0, 401 without a key, 403 with the admin key', async () => {
    const noVersion = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Upload-Length': '10' } });
    assert.equal(noVersion.status, 412);
    assert.equal(noVersion.headers.get('tus-resumable'), '1.0.0');
    assert.equal((await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...V, 'Upload-Length': '10' } })).status, 401);
    assert.equal((await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...V, Authorization: 'Bearer test-admin-key-0123456789abcdef', 'Upload-Length': '10' } })).status, 403);
  });

  it('creation: checks type and size before any byte (415, 413, 400) and records nothing', async () => {
    const before = await usage();
    assert.equal((await create({ 'Upload-Length': '100', 'Upload-Metadata': `filename ${b64('x.sh')},filetype ${b64('text/x-shellscript')}` })).status, 415);
    assert.equal((await create({ 'Upload-Length': String(10 ** 15), 'Upload-Metadata': `filetype ${b64('image/png')}` })).status, 413);
    assert.equal((await create({})).status, 400);
    assert.equal((await create({ 'Upload-Length': '10', 'Upload-Metadata': 'filename !!!' })).status, 400);
    assert.equal((await create({ 'Upload-Length': '10', 'Upload-Concat': 'bogus' })).status, 400);
    assert.equal(await usage(), before);
  });

  it('HEAD after creation: offset 0, the length, the metadata as sent, Upload-Expires and no-store', async () => {
    const metadata = `filename ${b64('dot.png')},filetype ${b64('image/png')}`;
    const url = await createImage();
    assert.match(url, new RegExp(`^${t.url}/tus/upl_`));
    const res = await head(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('upload-offset'), '0');
    assert.equal(res.headers.get('upload-length'), String(image.length));
    assert.equal(res.headers.get('upload-metadata'), metadata);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.ok(Date.parse(res.headers.get('upload-expires')!) > Date.now());
  });

  it('PATCH: 415 for another Content-Type, 409 for a wrong offset, 413 past the length; then the rest completes the upload', async () => {
    const url = await createImage();
    assert.equal((await patch(url, 0, image.subarray(0, 10), { 'Content-Type': 'application/octet-stream' })).status, 415);
    const first = await patch(url, 0, image.subarray(0, 40));
    assert.equal(first.status, 204);
    assert.equal(first.headers.get('upload-offset'), '40');
    assert.ok(first.headers.get('upload-expires'));
    const wrong = await patch(url, 10, image.subarray(10, 20));
    assert.equal(wrong.status, 409);
    assert.equal(((await wrong.json()) as any).error.details.reason, 'offset_mismatch');
    assert.equal((await patch(url, 40, Buffer.concat([image.subarray(40), Buffer.from('extra')]))).status, 413);
    assert.equal((await head(url)).headers.get('upload-offset'), '40', 'a refused request keeps nothing');
    const last = await patch(url, 40, image.subarray(40));
    assert.equal(last.status, 204);
    assert.equal(last.headers.get('upload-offset'), String(image.length));
    const id = url.split('/').pop()!;
    const upload = (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data;
    assert.equal(upload.status, 'completed');
    const asset = (await t.api('GET', `/v1/assets/${upload.asset_id}`, { key })).body.data;
    assert.equal(asset.sha256, sha256(image));
    assert.equal((await head(url)).headers.get('upload-offset'), String(image.length));
  });

  it('creation-with-upload: the body of the POST is the first bytes, and a whole file completes at once', async () => {
    const res = await create({ 'Upload-Length': String(image.length), 'Upload-Metadata': `filetype ${b64('image/png')}`, 'Content-Type': OCTETS }, image);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('upload-offset'), String(image.length));
    const id = res.headers.get('location')!.split('/').pop()!;
    assert.equal((await t.api('GET', `/v1/uploads/${id}`, { key })).body.data.status, 'completed');
    const bad = await create({ 'Upload-Length': '10', 'Content-Type': 'text/plain' }, Buffer.from('0123456789'));
    assert.equal(bad.status, 415);
  });

  it('creation-defer-length: HEAD says Upload-Defer-Length until a PATCH declares Upload-Length; then the last byte completes', async () => {
    const res = await create({ 'Upload-Defer-Length': '1', 'Upload-Metadata': `filetype ${b64('image/png')}` });
    assert.equal(res.status, 201);
    const url = res.headers.get('location')!;
    const h = await head(url);
    assert.equal(h.headers.get('upload-defer-length'), '1');
    assert.equal(h.headers.get('upload-length'), null);
    assert.equal((await patch(url, 0, image.subarray(0, 30))).status, 204);
    const done = await patch(url, 30, image.subarray(30), { 'Upload-Length': String(image.length) });
    assert.equal(done.status, 204);
    const id = url.split('/').pop()!;
    const upload = (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data;
    assert.equal(upload.status, 'completed');
    assert.equal(upload.file_size, image.length);
  });

  for (const alg of ['sha1', 'sha256', 'md5']) {
    it(`checksum ${alg}: a matching request is taken, a mismatch is 460 and keeps nothing`, async () => {
      const url = await createImage();
      const part = image.subarray(0, 50);
      const bad = await patch(url, 0, part, { 'Upload-Checksum': `${alg} ${digest(alg, Buffer.from('other bytes'))}` });
      assert.equal(bad.status, 460);
      assert.equal((await head(url)).headers.get('upload-offset'), '0');
      const good = await patch(url, 0, part, { 'Upload-Checksum': `${alg} ${digest(alg, part)}` });
      assert.equal(good.status, 204);
      assert.equal(good.headers.get('upload-offset'), '50');
    });
  }

  it('checksum: an algorithm Intake does not offer is 400', async () => {
    const url = await createImage();
    assert.equal((await patch(url, 0, image.subarray(0, 5), { 'Upload-Checksum': 'crc32 AAAAAA==' })).status, 400);
  });

  it('termination: DELETE is 204; afterwards HEAD and PATCH are 410; no file and no reservation remain', async () => {
    const before = await usage();
    const url = await createImage();
    assert.equal((await patch(url, 0, image.subarray(0, 60))).status, 204);
    assert.equal(await usage(), before + image.length);
    assert.equal((await fetch(url, { method: 'DELETE', headers: auth })).status, 204);
    assert.equal((await head(url)).status, 410);
    assert.equal((await patch(url, 60, image.subarray(60))).status, 410);
    assert.equal((await fetch(url, { method: 'DELETE', headers: auth })).status, 410);
    assert.deepEqual(await leftFor(url), []);
    assert.equal(await usage(), before);
  });

  it('expiration: past Upload-Expires the upload is 410 and the sweep leaves no file and no reservation', async () => {
    // Its own namespace: moving the clock expires every other test's open sessions too.
    const own = await t.tenant();
    const ownAuth = { ...V, Authorization: `Bearer ${own.key}` };
    const res = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...ownAuth, 'Upload-Length': String(image.length), 'Upload-Metadata': `filetype ${b64('image/png')}` } });
    const url = res.headers.get('location')!;
    const patch = (u: string, offset: number, body: Buffer) => fetch(u, { method: 'PATCH', headers: { ...ownAuth, 'Content-Type': OCTETS, 'Upload-Offset': String(offset) }, body });
    const head = (u: string) => fetch(u, { method: 'HEAD', headers: ownAuth });
    const usage = async () => (await t.api('GET', '/v1/usage', { key: own.key })).body.data.reserved_bytes;
    assert.equal(await usage(), image.length);
    assert.equal((await patch(url, 0, image.subarray(0, 60))).status, 204);
    assert.equal((await leftFor(url)).length, 1);
    t.clock.advance(25 * 3600);
    try {
      assert.equal((await head(url)).status, 410);
      assert.equal((await patch(url, 60, image.subarray(60))).status, 410);
      await t.intake.sweep();
      assert.deepEqual(await leftFor(url), []);
      assert.equal(await usage(), 0);
    } finally {
      t.clock.advance(-25 * 3600);
    }
  });

  it('a browser\'s upload URL from POST /v1/uploads (protocol tus) works with its token alone, and only for its session', async () => {
    const made = await t.api('POST', '/v1/uploads', { key, json: { filename: 'dot.png', content_type: 'image/png', file_size: image.length, protocol: 'tus' } });
    assert.equal(made.status, 201);
    const url: string = made.body.data.upload_url;
    assert.match(url, /\/tus\/upl_\w+\?token=\d+\.[\w-]{43}$/);
    const other = await createImage();
    const token = new URL(url).search;
    assert.equal((await head(`${other}${token}`, V)).status, 403, 'the token is bound to its session');
    assert.equal((await head(url.replace(/token=\d+\./, 'token=1.'), V)).status, 403);
    const res = await fetch(url, { method: 'PATCH', headers: { ...V, 'Content-Type': OCTETS, 'Upload-Offset': '0' }, body: image });
    assert.equal(res.status, 204);
    const upload = (await t.api('GET', `/v1/uploads/${made.body.data.id}`, { key })).body.data;
    assert.equal(upload.status, 'completed');
  });
});

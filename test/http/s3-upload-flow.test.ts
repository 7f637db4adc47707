/**
 * The contract's upload flow with INTAKE_STORAGE=s3 against a real S3 server (Ceph RGW):
 * bytes go from the client straight to the bucket; Intake signs, verifies, delivers and
 * deletes. Refusals here come from the S3 server itself, not from Intake.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { eventually, freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { ffmpegMedia, png, sha256 } from '../helpers/media.js';


describe('upload flow on S3 (Ceph RGW)', () => {
  let b: TestBucket;
  let t: TestIntake;
  let key: string;
  let ns: string;

  before(async () => {
    b = await testBucket('intake-flow');
    t = await startIntake(s3Env(b));
    ({ key, namespaceId: ns } = await t.tenant());
  });
  after(async () => {
    await t?.close();
    await b?.drop();
  });

  async function session(json: Record<string, unknown>) {
    const res = await t.api('POST', '/v1/uploads', { key, json });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  }
  const complete = (id: string) => t.api('POST', `/v1/uploads/${id}/complete`, { key, json: {} });
  const putTo = (s: any, body: Buffer, headers: Record<string, string> = s.upload_method.headers) => fetch(s.upload_url, { method: 'PUT', headers, body });
  function postTo(s: any, body: Buffer, fields: Record<string, string> = s.upload_method.fields) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([body]), 'file');
    return fetch(s.upload_url, { method: 'POST', body: form });
  }
  const under = async (prefix: string) => (await b.keys()).filter((k) => k.startsWith(prefix));

  it('PUT: the URL is the bucket\'s; complete verifies in the bucket; delivery is a presigned GET with Range; delete empties the bucket', async () => {
    const bytes = await png(80, 60);
    const s = await session({ filename: 'photo.png', content_type: 'image/png', file_size: bytes.length, file_hash: sha256(bytes) });
    assert.equal(s.provider, 's3');
    assert.equal(new URL(s.upload_url).origin, b.server.endpoint);
    assert.equal(s.key, `${ns}/${s.upload_id}/original`);
    assert.deepEqual(s.upload_method.headers, { 'Content-Type': 'image/png', 'If-None-Match': '*' });
    const put = await putTo(s, bytes);
    assert.equal(put.status, 200);
    const etag = put.headers.get('etag')!;
    assert.ok(etag);

    const wrongEtag = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: { etag: '"0123456789abcdef0123456789abcdef"' } });
    assert.equal(wrongEtag.status, 422);
    assert.equal(wrongEtag.body.error?.details.reason, 'etag_mismatch');
    const s2 = await session({ filename: 'photo.png', content_type: 'image/png', file_size: bytes.length, skip_duplicates: false });
    assert.equal((await putTo(s2, bytes)).status, 200);
    const done = await t.api('POST', `/v1/uploads/${s2.upload_id}/complete`, { key, json: { etag } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const asset = done.body.data.asset;
    assert.deepEqual([asset.status, asset.width, asset.height, asset.sha256], ['ready', 80, 60, sha256(bytes)]);
    assert.deepEqual(await under(`${ns}/`), [`${s2.key}.sealed`], 'the upload key was copied away and removed; the failed session left nothing');

    const url = new URL(asset.url);
    assert.equal(url.origin, b.server.endpoint);
    assert.equal(url.searchParams.get('response-content-type'), 'image/png');
    const ranged = await fetch(asset.url, { headers: { Range: 'bytes=0-15' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-type'), 'image/png');
    assert.match(ranged.headers.get('content-disposition') ?? '', /^inline; filename\*=UTF-8''photo\.png$/);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(0, 16));
    assert.deepEqual(Buffer.from(await (await fetch(asset.url)).arrayBuffer()), bytes);

    await t.storedFiles(); // returns once the image's rendition job has finished
    // A rendition, as the processing pipeline stores them: a source row and its object.
    const thumbKey = `${ns}/${asset.id}/thumbnail.webp`;
    await t.intake.deps.storage.write(thumbKey, Readable.from([bytes]), { maxSize: bytes.length, contentType: 'image/webp' });
    await t.intake.db.kysely
      .insertInto('sources')
      .values({ id: 'src_s3flowthumbnail0001', asset_id: asset.id, namespace_id: ns, label: 'thumbnail', mimetype: 'image/webp', width: 8, height: 6, duration: null, filesize: bytes.length, bitrate: null, storage_key: thumbKey, created_at: new Date().toISOString() })
      .execute();
    const withThumb = (await t.api('GET', `/v1/assets/${asset.id}`, { key })).body.data;
    const thumb = withThumb.sources.find((x: any) => x.label === 'thumbnail');
    assert.equal((await fetch(thumb.url)).status, 200);

    const del = await t.api('DELETE', `/v1/assets/${asset.id}`, { key });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.deepEqual(await under(`${ns}/`), [], 'the original and every rendition left the bucket');
    assert.equal((await fetch(asset.url)).status, 404);
  });

  it('POST: a form to the bucket under a policy; complete; an SVG is delivered as an attachment', async () => {
    const bytes = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><script>alert(1)</script></svg>');
    const s = await session({ filename: 'x.svg', content_type: 'image/svg+xml', file_size: bytes.length, method: 'POST' });
    assert.equal(s.upload_method.method, 'POST');
    assert.equal(s.upload_method.fields.key, s.key);
    assert.ok(s.upload_method.fields.Policy && s.upload_method.fields['X-Amz-Signature']);
    const posted = await postTo(s, bytes);
    assert.ok([200, 201, 204].includes(posted.status), String(posted.status));
    const done = await complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const res = await fetch(done.body.data.asset.url);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment;/);
  });

  it('the S3 server itself refuses a tampered URL, a wrong Content-Type, an oversize PUT and an oversize POST', async () => {
    const bytes = await png(20, 20);
    const s = await session({ filename: 'a.png', content_type: 'image/png', file_size: bytes.length });
    const tampered = new URL(s.upload_url);
    tampered.searchParams.set('X-Amz-Expires', '604800');
    const refusals = [
      await fetch(tampered, { method: 'PUT', headers: s.upload_method.headers, body: bytes }),
      await putTo(s, bytes, { ...s.upload_method.headers, 'Content-Type': 'text/html' }),
      await putTo(s, Buffer.concat([bytes, Buffer.alloc(1024)])),
    ];
    for (const r of refusals) {
      assert.equal(r.status, 403);
      assert.match(await r.text(), /<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/, 'an S3 error document');
    }
    const p = await session({ filename: 'b.png', content_type: 'image/png', file_size: bytes.length, method: 'POST' });
    const big = await postTo(p, Buffer.concat([bytes, Buffer.alloc(1)]));
    assert.equal(big.status, 400);
    assert.match(await big.text(), /<Code>EntityTooLarge<\/Code>/);
    const wrongType = await postTo(p, bytes, { ...p.upload_method.fields, 'Content-Type': 'text/html' });
    assert.equal(wrongType.status, 403);
    assert.deepEqual(await under(`${ns}/${s.upload_id}`), []);
    assert.deepEqual(await under(`${ns}/${p.upload_id}`), []);
    // Nothing arrived: complete says so (409 no_bytes_yet) and the session stays open for the bytes.
    const done = await complete(s.upload_id);
    assert.equal(done.status, 409, JSON.stringify(done.body));
    assert.deepEqual(done.body.error?.details, { reason: 'no_bytes_yet', status: 'pending' });
    assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'pending');
    assert.equal((await putTo(s, bytes)).status, 200, 'the URL still takes the bytes');
    const late = await complete(s.upload_id);
    assert.equal(late.status, 200, JSON.stringify(late.body));
  });

  it('a PUT to the old URL after complete changes nothing the asset serves, and reconciliation removes it', async () => {
    const bytes = await png(30, 30);
    const s = await session({ filename: 'keep.png', content_type: 'image/png', file_size: bytes.length });
    assert.equal((await putTo(s, bytes)).status, 200);
    const done = await complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const evil = Buffer.alloc(bytes.length, 0x41);
    const late = await putTo(s, evil);
    assert.equal(late.status, 200, 'still a valid URL for its key');
    const again = await putTo(s, evil);
    assert.equal(again.status, 412, 'If-None-Match: * while that key exists');
    const asset = (await t.api('GET', `/v1/assets/${done.body.data.asset.id}`, { key })).body.data;
    assert.deepEqual(Buffer.from(await (await fetch(asset.url)).arrayBuffer()), bytes);
    assert.equal((await complete(s.upload_id)).body.data.asset.sha256, sha256(bytes));
    const result = await t.intake.deps.storage.list(`${ns}/${s.upload_id}/`);
    const listed: string[] = [];
    for await (const o of result) listed.push(o.key);
    assert.deepEqual(listed.sort(), [s.key, `${s.key}.sealed`]);
    t.clock.advance(2 * 3600);
    await t.intake.reconcile();
    assert.deepEqual(await under(`${ns}/${s.upload_id}/`), [`${s.key}.sealed`]);
  });

  it('a video is probed from a local copy; a form upload through the API streams into the bucket', async () => {
    const clip = await ffmpegMedia('mp4');
    const s = await session({ filename: 'clip.mp4', content_type: 'video/mp4', file_size: clip.length });
    assert.equal((await putTo(s, clip)).status, 200);
    const done = await complete(s.upload_id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.ok(done.body.data.asset.duration > 0.5);

    const bytes = await png(12, 10);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'form.png');
    const res = await t.api('POST', '/v1/uploads', { key, body: form });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.data.id;
    const finished = await eventually(async () => {
      const u = await t.api('GET', `/v1/uploads/${id}`, { key });
      return u.body.data.status === 'completed' ? u.body.data : null;
    });
    const asset = (await t.api('GET', `/v1/assets/${finished.asset_id}`, { key })).body.data;
    assert.equal(asset.width, 12);
    assert.deepEqual(Buffer.from(await (await fetch(asset.url)).arrayBuffer()), bytes);
    await t.settled(); // the image's thumbnail and preview are written in the background
    assert.deepEqual(await b.leftovers(), []);
  });

  it('complete on S3 refuses a wrong checksum, a wrong kind and undecodable media, and leaves nothing', async () => {
    const bytes = await png(16, 16);
    const wrongHash = await session({ filename: 'h.png', content_type: 'image/png', file_size: bytes.length, file_hash: sha256(Buffer.from('other')) });
    assert.equal((await putTo(wrongHash, bytes)).status, 200);
    const a = await complete(wrongHash.upload_id);
    assert.equal(a.status, 422);
    assert.equal(a.body.error?.details.reason, 'checksum_mismatch');
    const notVideo = await session({ filename: 'v.mp4', content_type: 'video/mp4', file_size: bytes.length });
    assert.equal((await putTo(notVideo, bytes)).status, 200);
    const b2 = await complete(notVideo.upload_id);
    assert.equal(b2.status, 415);
    assert.equal(b2.body.error?.details.reason, 'kind_mismatch');
    const truncated = bytes.subarray(0, 40);
    const broken = await session({ filename: 'b.png', content_type: 'image/png', file_size: truncated.length });
    assert.equal((await putTo(broken, truncated)).status, 200);
    const c = await complete(broken.upload_id);
    assert.equal(c.status, 415, JSON.stringify(c.body));
    for (const s of [wrongHash, notVideo, broken]) assert.deepEqual(await under(`${ns}/${s.upload_id}`), []);
  });

  it('/readyz checks the bucket', async () => {
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).data.checks.storage, 'ok');
  });
});

describe('S3 with a public endpoint other than the one Intake uses', () => {
  it('signs upload and delivery URLs for the public host; Intake itself talks to the private one', async () => {
    const b = await testBucket('intake-public');
    const target = new URL(b.server.endpoint);
    const proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port) });
    await proxy.start();
    const publicEndpoint = `http://127.0.0.1:${proxy.port}`;
    const t = await startIntake(s3Env(b, { INTAKE_S3_PUBLIC_ENDPOINT: publicEndpoint }));
    try {
      const { key } = await t.tenant();
      const bytes = await png(10, 10);
      const s = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length } })).body.data;
      assert.equal(new URL(s.upload_url).origin, publicEndpoint);
      assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: s.upload_method.headers, body: bytes })).status, 200);
      const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(new URL(done.body.data.asset.url).origin, publicEndpoint);
      assert.deepEqual(Buffer.from(await (await fetch(done.body.data.asset.url)).arrayBuffer()), bytes);
      const post = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'q.png', content_type: 'image/png', file_size: bytes.length, method: 'POST' } })).body.data;
      assert.equal(new URL(post.upload_url).origin, publicEndpoint);
    } finally {
      await t.close();
      await proxy.stop();
      await b.drop();
    }
  });
});

/** The storage contract on a real S3 server (Ceph RGW on loopback), plus what only S3 promises. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { StorageUnavailableError, type PresignUpload } from '../../src/storage/object-storage.js';
import { SigV4Presigner } from '../../src/storage/sigv4.js';
import { S3Storage } from '../../src/storage/s3.js';
import { multipartContract } from './multipart-contract.js';
import { bodyOf, readAll, sha256, storageContract } from './storage-contract.js';
import { testBucket, type TestBucket } from '../helpers/ceph.js';

storageContract('S3 (Ceph RGW)', async () => {
  const b = await testBucket('intake-contract');
  return { storage: b.storage, keys: b.keys, leftovers: b.leftovers, close: b.drop };
});

multipartContract('S3 (Ceph RGW)', async () => {
  const b = await testBucket('intake-multipart');
  return {
    storage: b.storage,
    async putPart(key, id, n, bytes) {
      const url = await b.storage.presignPart(key, id, n, { maxSize: bytes.length, expiresAt: new Date(Date.now() + 600_000), uploadId: 'upl_x' });
      const res = await fetch(url, { method: 'PUT', body: bytes });
      assert.equal(res.status, 200, await res.text());
      return res.headers.get('etag')!;
    },
    close: b.drop,
  };
});

describe('S3 driver: what the store itself enforces', () => {
  let b: TestBucket;
  let n = 0;
  before(async () => {
    b = await testBucket('intake-s3');
  });
  after(() => b.drop());
  const key = () => `ns/upl_s3test${++n}/original`;
  const soon = () => new Date(Date.now() + 600_000);
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(500)]);
  const upload = (over: Partial<PresignUpload> = {}): PresignUpload => ({ contentType: 'image/png', maxSize: png.length, expiresAt: soon(), uploadId: 'upl_x', ...over });
  const put = (url: string, body: Buffer, headers: Record<string, string>) => fetch(url, { method: 'PUT', body, headers });

  it('a presigned PUT stores the object with the signed headers; the store refuses a second PUT while it exists', async () => {
    const k = key();
    const p = await b.storage.presignPut(k, upload());
    assert.deepEqual(p.headers, { 'Content-Type': 'image/png', 'If-None-Match': '*' });
    const url = new URL(p.url);
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host;if-none-match');
    const res = await put(p.url, png, p.headers);
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await readAll(await b.storage.read(k)), png);
    const again = await put(p.url, Buffer.alloc(png.length, 1), p.headers);
    assert.equal(again.status, 412);
    assert.deepEqual(await readAll(await b.storage.read(k)), png);
  });

  it('the store refuses a tampered URL, another Content-Type, another size and a missing If-None-Match, keeping nothing', async () => {
    const k = key();
    const p = await b.storage.presignPut(k, upload());
    const tampered = new URL(p.url);
    const sig = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
    assert.equal((await put(tampered.toString(), png, p.headers)).status, 403);
    const otherKey = new URL(p.url);
    otherKey.pathname = otherKey.pathname.replace('original', 'other');
    assert.equal((await put(otherKey.toString(), png, p.headers)).status, 403);
    assert.equal((await put(p.url, png, { ...p.headers, 'Content-Type': 'text/html' })).status, 403);
    assert.equal((await put(p.url, Buffer.concat([png, Buffer.from('x')]), p.headers)).status, 403, 'one byte over the signed size');
    assert.equal((await put(p.url, png.subarray(1), p.headers)).status, 403, 'one byte short');
    assert.equal((await put(p.url, png, { 'Content-Type': 'image/png' })).status, 403, 'without the signed If-None-Match');
    // Signed two minutes ago for one minute.
    const headers = { ...p.headers, 'Content-Length': String(png.length) };
    const expired = await new SigV4Presigner(b.storage.clients.presign, b.bucket).presign({ method: 'PUT', key: k, expiresIn: 60, headers, now: new Date(Date.now() - 120_000) });
    assert.equal((await put(expired, png, p.headers)).status, 403);
    const fresh = await new SigV4Presigner(b.storage.clients.presign, b.bucket).presign({ method: 'PUT', key: k, expiresIn: 60, headers });
    assert.equal((await put(fresh, png.subarray(1), p.headers)).status, 403, 'the same signer, a short body');
    assert.equal(await b.storage.head(k), null);
  });

  it('a presigned POST policy binds key, type and size range; the store refuses the rest', async () => {
    const k = key();
    const p = await b.storage.presignPost(k, upload());
    const post = (fields: Record<string, string>, file: Buffer) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([file]), 'a.png');
      return fetch(p.url, { method: 'POST', body: form });
    };
    const tooBig = await post(p.fields, Buffer.concat([png, Buffer.from('x')]));
    assert.equal(tooBig.status, 400);
    assert.match(await tooBig.text(), /EntityTooLarge/);
    assert.equal((await post({ ...p.fields, 'Content-Type': 'text/html' }, png)).status, 403);
    assert.equal((await post({ ...p.fields, key: `${k}2` }, png)).status, 403);
    assert.equal(await b.storage.head(k), null);
    const ok = await post(p.fields, png);
    assert.ok(ok.status === 204 || ok.status === 201 || ok.status === 200, String(ok.status));
    assert.deepEqual(await readAll(await b.storage.read(k)), png);
  });

  it('seal() moves the bytes to a key no URL was issued for; the old URL changes nothing sealed', async () => {
    const k = key();
    const p = await b.storage.presignPut(k, upload());
    assert.equal((await put(p.url, png, p.headers)).status, 200);
    const sealed = await b.storage.seal(k);
    assert.equal(sealed, `${k}.sealed`);
    assert.equal(await b.storage.head(k), null, 'the upload key is gone');
    assert.equal(await b.storage.seal(k), sealed, 'idempotent after the move');
    const late = await put(p.url, Buffer.alloc(png.length, 7), p.headers);
    assert.equal(late.status, 200, 'the URL is still valid until it expires');
    assert.deepEqual(await readAll(await b.storage.read(sealed)), png, 'the sealed bytes did not change');
    await assert.rejects(b.storage.presignPut(sealed, upload()), 'no URL is ever signed for a sealed key');
    await assert.rejects(b.storage.presignPost(sealed, upload()));
  });

  it('presigned GETs serve the signed type and disposition, with Range', async () => {
    const k = key();
    await b.storage.write(k, bodyOf(png), { maxSize: png.length, contentType: 'application/octet-stream' });
    const url = await b.storage.presignGet(k, { expiresAt: soon(), contentType: 'image/svg+xml', filename: 'ä b.svg', disposition: 'attachment' });
    const res = await fetch(url, { headers: { Range: 'bytes=0-7' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.equal(res.headers.get('content-disposition'), "attachment; filename*=UTF-8''%C3%A4%20b.svg");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), png.subarray(0, 8));
    const tampered = url.replace('attachment', 'inline');
    assert.equal((await fetch(tampered)).status, 403);
  });

  it('write() of a body larger than one part goes up in parts and leaves nothing behind', async () => {
    const k = key();
    const bytes = randomBytes(20 * 1024 * 1024 + 3);
    let announced = '';
    const written = await b.storage.write(k, bodyOf(bytes, 1024 * 1024), {
      maxSize: bytes.length,
      contentType: 'video/mp4',
      around: async (w, publish) => {
        announced = w.etag;
        await publish();
      },
    });
    assert.equal(written.sha256, sha256(bytes));
    assert.equal((await b.storage.head(k))?.size, bytes.length);
    assert.equal(written.etag, (await b.storage.head(k))?.etag);
    assert.ok(announced.length > 0);
    assert.deepEqual(await b.leftovers(), []);
    await b.storage.delete(k);
  });

  it('list() pages through more keys than one page holds; deleteMany() removes them in batches', async () => {
    b.storage.pageSize = 7;
    try {
      const keys = Array.from({ length: 23 }, (_, i) => `pages/k${String(i).padStart(2, '0')}`);
      await Promise.all(keys.map((k) => b.storage.write(k, bodyOf(Buffer.from(k)), { maxSize: 100, contentType: 'text/plain' })));
      const listed: string[] = [];
      for await (const o of b.storage.list('pages/')) listed.push(o.key);
      assert.deepEqual(listed.sort(), keys);
      await b.storage.deleteMany([...keys, 'pages/never-existed']);
      const left: string[] = [];
      for await (const o of b.storage.list('pages/')) left.push(o.key);
      assert.deepEqual(left, []);
    } finally {
      b.storage.pageSize = 1000;
    }
  });

  it('seal() copies an object over the single-copy limit in parts, pinned to the ETag it saw', async () => {
    const saved = b.storage.copyOptions;
    b.storage.copyOptions = { singleCopyMax: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
    try {
      const k = key();
      const bytes = randomBytes(12 * 1024 * 1024 + 5);
      await b.storage.write(k, bodyOf(bytes, 1024 * 1024), { maxSize: bytes.length, contentType: 'video/mp4' });
      const sealed = await b.storage.seal(k);
      assert.equal((await b.storage.head(sealed))?.size, bytes.length);
      assert.equal(sha256(await readAll(await b.storage.read(sealed))), sha256(bytes));
      assert.deepEqual(await b.leftovers(), []);
      await b.storage.delete(sealed);
    } finally {
      b.storage.copyOptions = saved;
    }
  });

  it('with the checksum capability on, PUT URLs sign x-amz-checksum-sha256 (Ceph 16 accepts it unchecked, so it stays off there)', async () => {
    const withChecksums = new S3Storage({ ...b.storage.settings, verifiesChecksums: true });
    const k = key();
    const digest = sha256(png);
    const p = await withChecksums.presignPut(k, upload({ sha256: digest }));
    assert.equal(p.headers['x-amz-checksum-sha256'], Buffer.from(digest, 'hex').toString('base64'));
    assert.match(new URL(p.url).searchParams.get('X-Amz-SignedHeaders') ?? '', /x-amz-checksum-sha256/);
    assert.equal((await put(p.url, png, p.headers)).status, 200);
    const { 'x-amz-checksum-sha256': _, ...unsigned } = p.headers;
    assert.equal((await put(p.url, png, unsigned)).status, 403, 'the checksum header is signed');
    const sealed = await withChecksums.seal(k);
    assert.deepEqual(await readAll(await withChecksums.read(sealed)), png);
    const noHash = await b.storage.presignPut(key(), upload({ sha256: digest }));
    assert.equal(noHash.headers['x-amz-checksum-sha256'], undefined, 'off by default');
  });

  it('without conditional writes the URL signs no If-None-Match, and sealing alone keeps confirmed bytes', async () => {
    const plain = new S3Storage({ ...b.storage.settings, conditionalWrites: false });
    const k = key();
    const p = await plain.presignPut(k, upload());
    assert.deepEqual(p.headers, { 'Content-Type': 'image/png' });
    assert.equal((await put(p.url, Buffer.alloc(png.length, 1), p.headers)).status, 200);
    assert.equal((await put(p.url, png, p.headers)).status, 200, 'replaced while the session is open');
    const sealed = await plain.seal(k);
    assert.equal((await put(p.url, Buffer.alloc(png.length, 2), p.headers)).status, 200);
    assert.equal((await put(p.url, Buffer.alloc(png.length, 3), p.headers)).status, 200);
    assert.deepEqual(await readAll(await plain.read(sealed)), png);
  });

  it('a store that refuses Intake\'s credentials is unavailable storage, not a missing object', async () => {
    const wrong = new S3Storage({ ...b.storage.settings, credentials: { accessKeyId: b.server.accessKeyId, secretAccessKey: 'not-the-secret' } });
    await assert.rejects(wrong.ping(), StorageUnavailableError);
    await assert.rejects(wrong.head('ns/x/original'), StorageUnavailableError);
    await assert.rejects(wrong.read('ns/x/original'), StorageUnavailableError);
    await assert.rejects(wrong.write('ns/x/original', bodyOf(png), { maxSize: png.length, contentType: 'image/png' }), StorageUnavailableError);
    await assert.rejects(wrong.deleteMany(['ns/x/original']), StorageUnavailableError);
    const unreachable = new S3Storage({ ...b.storage.settings, endpoint: 'http://127.0.0.1:9' });
    await assert.rejects(unreachable.head('ns/x/original'), StorageUnavailableError);
    await assert.rejects(unreachable.seal('ns/x/original'), StorageUnavailableError);
    assert.deepEqual(await b.leftovers(), []);
  });
});

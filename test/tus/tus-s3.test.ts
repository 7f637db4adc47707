/**
 * tus on S3 (Ceph RGW): PATCH bodies stream into a multipart upload, a part at a time,
 * with at most one part's tail on local disk. tus-js-client uploads, is stopped, Intake
 * restarts (and, a second time, loses its tails as another machine would), and the client
 * resumes from what HEAD says S3 holds; the asset has the file's SHA-256. Refused and
 * terminated bytes leave no part, no multipart upload and no tail behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import * as tus from 'tus-js-client';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { textFile } from '../helpers/resumable-client.js';

const MIB = 1024 * 1024;
const V = { 'Tus-Resumable': '1.0.0' };
const OCTETS = 'application/offset+octet-stream';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('tus on S3 (Ceph RGW)', () => {
  let b: TestBucket;
  let t: TestIntake;
  let key: string;
  let dataDir: string;
  const env = () => s3Env(b);
  const auth = () => ({ ...V, Authorization: `Bearer ${key}` });
  const tails = async () => (await fs.readdir(path.join(dataDir, 'tus-tails'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile());
  const multiparts = async () => (await b.leftovers()).filter((x) => x.startsWith('multipart:'));
  const offsetOf = async (url: string) => Number((await fetch(url, { method: 'HEAD', headers: auth() })).headers.get('upload-offset'));

  before(async () => {
    b = await testBucket('intake-tus');
    t = await startIntake(env(), { keepData: true });
    dataDir = t.dataDir;
    ({ key } = await t.tenant());
  });
  after(async () => {
    await t?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
    await b?.drop();
  });

  async function create(size: number): Promise<string> {
    const res = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth(), 'Upload-Length': String(size), 'Upload-Metadata': `filename ${b64('doc.txt')},filetype ${b64('text/plain')}` } });
    assert.equal(res.status, 201, await res.text());
    return res.headers.get('location')!;
  }
  const patch = (url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'PATCH', headers: { ...auth(), 'Content-Type': OCTETS, 'Upload-Offset': String(offset), ...headers }, body });

  it('tus-js-client: stopped, Intake restarted, its tails lost, resumed each time from what S3 holds; the asset has the SHA-256', async () => {
    const file = textFile(21 * MIB, 7);
    const chunkSize = 3 * MIB;
    const options: tus.UploadOptions = { headers: { Authorization: `Bearer ${key}` }, chunkSize, metadata: { filename: 'big.txt', filetype: 'text/plain' }, retryDelays: [0, 200] };
    // Stopped after 4 chunks: one 8 MiB part in S3, 4 MiB in the tail.
    let first!: tus.Upload;
    await new Promise<void>((resolve, reject) => {
      let chunks = 0;
      first = new tus.Upload(file, {
        ...options,
        endpoint: `${t.url}/tus/`,
        onError: reject,
        onChunkComplete: () => {
          if (++chunks === 4) void first.abort().then(resolve, reject);
        },
      });
      first.start();
    });
    const id = first.url!.split('/').pop()!;
    assert.equal(await offsetOf(first.url!), 12 * MIB);
    assert.equal((await multiparts()).length, 1);
    assert.equal((await tails()).length, 1, 'one tail file');

    // A restart keeps the tail: the offset is the part and the tail.
    await t.close();
    t = await startIntake(env(), { dataDir, keepData: true });
    const url = `${t.url}/tus/${id}`;
    assert.equal(await offsetOf(url), 12 * MIB);

    // Another machine has no tail: the offset is what S3 holds, and the client re-sends the rest.
    await fs.rm(path.join(dataDir, 'tus-tails'), { recursive: true });
    assert.equal(await offsetOf(url), 8 * MIB);

    const starts: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const second = new tus.Upload(file, { ...options, uploadUrl: url, onSuccess: () => resolve(), onError: reject, onChunkComplete: (c, sent) => void starts.push(sent - c) });
      second.start();
    });
    assert.equal(starts[0], 8 * MIB, 'resumed after the part S3 holds');
    const done = await eventually(async () => {
      const r = await t.api('GET', `/v1/uploads/${id}`, { key });
      return r.body.data.status === 'completed' && r;
    });
    const asset = await eventually(async () => {
      const r = await t.api('GET', `/v1/assets/${done.body.data.asset_id}`, { key });
      return r.body.data.status === 'ready' && r;
    });
    assert.equal(asset.body.data.sha256, sha256(file));
    assert.equal(asset.body.data.filesize, file.length);
    assert.deepEqual(await multiparts(), []);
    assert.deepEqual(await tails(), []);
  });

  it('a PATCH whose checksum does not match stores no part, even across a part boundary; the right one does', async () => {
    const file = textFile(10 * MIB, 3);
    const url = await create(file.length);
    const digest = createHash('sha256').update(file).digest('base64');
    const wrong = await patch(url, 0, file, { 'Upload-Checksum': `sha256 ${createHash('sha256').update('x').digest('base64')}` });
    assert.equal(wrong.status, 460);
    assert.equal(await offsetOf(url), 0);
    const id = url.split('/').pop()!;
    const held = await b.storage.clients.api.send(new ListMultipartUploadsCommand({ Bucket: b.bucket }));
    const mine = held.Uploads!.find((u) => u.Key!.includes(id))!;
    assert.deepEqual(await b.storage.listParts(mine.Key!, mine.UploadId!), [], 'no part stored');
    assert.deepEqual((await tails()).map((e) => e.name), [], 'no staged bytes, no tail');
    const right = await patch(url, 0, file, { 'Upload-Checksum': `sha256 ${digest}` });
    assert.equal(right.status, 204, await right.text());
    assert.equal(right.headers.get('upload-offset'), String(file.length));
    const r = await eventually(async () => {
      const u = await t.api('GET', `/v1/uploads/${id}`, { key });
      return u.body.data.status === 'completed' && u;
    });
    const asset = await t.api('GET', `/v1/assets/${r.body.data.asset_id}`, { key });
    assert.equal(asset.body.data.sha256, sha256(file));
    assert.deepEqual(await multiparts(), []);
  });

  it('termination aborts the multipart upload and removes the tail: nothing left', async () => {
    const file = textFile(9 * MIB, 5);
    const url = await create(12 * MIB);
    assert.equal((await patch(url, 0, file)).status, 204);
    assert.equal(await offsetOf(url), 9 * MIB);
    assert.equal((await multiparts()).length, 1);
    assert.equal((await tails()).length, 1);
    const del = await fetch(url, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204);
    assert.deepEqual(await multiparts(), []);
    assert.deepEqual(await tails(), []);
    const id = url.split('/').pop()!;
    assert.deepEqual((await b.keys()).filter((k) => k.includes(id)), []);
  });

  it('a chunked PATCH past the length is 413 while streaming; the part already stored stays, the rest goes', async () => {
    const file = textFile(12 * MIB, 8);
    const url = await create(file.length);
    const over = Buffer.concat([file, Buffer.alloc(MIB, 0x61)]);
    const body = new ReadableStream({
      start(c) {
        for (let at = 0; at < over.length; at += MIB) c.enqueue(over.subarray(at, at + MIB));
        c.close();
      },
    });
    const res = await fetch(url, { method: 'PATCH', headers: { ...auth(), 'Content-Type': OCTETS, 'Upload-Offset': '0' }, body, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(await offsetOf(url), 8 * MIB, 'the stored part, not the bytes that were cut off');
    const rest = await patch(url, 8 * MIB, file.subarray(8 * MIB));
    assert.equal(rest.status, 204);
    const id = url.split('/').pop()!;
    const done = await eventually(async () => {
      const r = await t.api('GET', `/v1/uploads/${id}`, { key });
      return r.body.data.status === 'completed' && r;
    });
    assert.equal((await t.api('GET', `/v1/assets/${done.body.data.asset_id}`, { key })).body.data.sha256, sha256(file));
  });

  it('expiry aborts the multipart upload and removes the tail: nothing left', async () => {
    const url = await create(12 * MIB);
    assert.equal((await patch(url, 0, textFile(9 * MIB, 6))).status, 204);
    assert.equal((await multiparts()).length, 1);
    t.clock.advance(25 * 3600);
    try {
      assert.equal((await fetch(url, { method: 'HEAD', headers: auth() })).status, 410);
      await t.intake.sweep();
      assert.deepEqual(await multiparts(), []);
      assert.deepEqual(await tails(), []);
      const id = url.split('/').pop()!;
      assert.deepEqual((await b.keys()).filter((k) => k.includes(id)), []);
    } finally {
      t.clock.advance(-25 * 3600);
    }
  });

  it('concatenation: partials held as multipart uploads join into a final one; nothing of them is left', async () => {
    const file = textFile(11 * MIB, 11);
    const partial = async (bytes: Buffer) => {
      const res = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth(), 'Upload-Concat': 'partial', 'Upload-Length': String(bytes.length) } });
      assert.equal(res.status, 201);
      const url = res.headers.get('location')!;
      assert.equal((await patch(url, 0, bytes)).status, 204);
      return url;
    };
    const a = await partial(file.subarray(0, 9 * MIB));
    const c = await partial(file.subarray(9 * MIB));
    const final = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth(), 'Upload-Concat': `final;${a} ${c}`, 'Upload-Metadata': `filename ${b64('joined.txt')},filetype ${b64('text/plain')}` } });
    assert.equal(final.status, 201, await final.text());
    const id = final.headers.get('location')!.split('/').pop()!;
    const done = await eventually(async () => {
      const r = await t.api('GET', `/v1/uploads/${id}`, { key });
      return r.body.data.status === 'completed' && r;
    });
    const asset = await t.api('GET', `/v1/assets/${done.body.data.asset_id}`, { key });
    assert.equal(asset.body.data.sha256, sha256(file));
    assert.deepEqual(await multiparts(), []);
    assert.deepEqual(await tails(), []);
    const partialIds = [a, c].map((u) => u.split('/').pop()!);
    assert.deepEqual((await b.keys()).filter((k) => partialIds.some((p) => k.includes(p))), []);
  });
});

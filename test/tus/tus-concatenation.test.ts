/**
 * tus concatenation (https://tus.io/protocols/resumable-upload#concatenation): partial
 * uploads hold bytes and are never completed as assets on their own; a final upload joins
 * finished ones in order and completes like any upload. Refusals answer the statuses tus
 * names and create nothing; a joined partial's bytes and reservation are gone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tus from 'tus-js-client';
import { eventually, useIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { textFile } from '../helpers/resumable-client.js';

const V = { 'Tus-Resumable': '1.0.0' };
const OCTETS = 'application/offset+octet-stream';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('tus concatenation at /tus/', () => {
  const t = useIntake();
  const auth = () => ({ ...V, Authorization: `Bearer ${t.key}` });
  const create = (headers: Record<string, string>) => fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth(), ...headers } });
  const patch = (url: string, offset: number, body: Buffer) =>
    fetch(url, { method: 'PATCH', headers: { ...auth(), 'Content-Type': OCTETS, 'Upload-Offset': String(offset) }, body });
  const head = (url: string) => fetch(url, { method: 'HEAD', headers: auth() });
  const idOf = (url: string) => url.split('/').pop()!;
  const usage = async () => ((await t.api('GET', '/v1/usage', { key: t.key })).body.data as { reserved_bytes: number }).reserved_bytes;
  const uploadCount = async () => (await t.api('GET', '/v1/uploads', { key: t.key })).body.data.length as number;

  async function partial(bytes: Buffer, send = bytes.length): Promise<string> {
    const res = await create({ 'Upload-Concat': 'partial', 'Upload-Length': String(bytes.length) });
    assert.equal(res.status, 201, await res.text());
    const url = res.headers.get('location')!;
    if (send > 0) assert.equal((await patch(url, 0, bytes.subarray(0, send))).status, 204);
    return url;
  }

  it('partial uploads stay open with no asset; the final joins them in order into a ready asset; the partials are gone', async () => {
    const image = await png(120, 80);
    const base = await usage();
    const cut = 100;
    const a = await partial(image.subarray(0, cut));
    const b = await partial(image.subarray(cut));
    const h = await head(a);
    assert.equal(h.headers.get('upload-concat'), 'partial');
    assert.equal(h.headers.get('upload-offset'), String(cut));
    const row = (await t.api('GET', `/v1/uploads/${idOf(a)}`, { key: t.key })).body.data;
    assert.notEqual(row.status, 'completed', 'a finished partial is not completed on its own');
    assert.equal(row.asset_id, null);

    // One URL absolute, one a path, as clients send them.
    const final = await create({ 'Upload-Concat': `final;${a} /tus/${idOf(b)}`, 'Upload-Metadata': `filename ${b64('joined.png')},filetype ${b64('image/png')},title ${b64('Joined')}` });
    assert.equal(final.status, 201, await final.text());
    const url = final.headers.get('location')!;
    const fh = await head(url);
    assert.equal(fh.status, 200);
    assert.equal(fh.headers.get('upload-concat'), `final;/tus/${idOf(a)} /tus/${idOf(b)}`);
    assert.equal(fh.headers.get('upload-offset'), String(image.length));
    assert.equal(fh.headers.get('upload-length'), String(image.length));
    const done = await eventually(async () => {
      const r = await t.api('GET', `/v1/uploads/${idOf(url)}`, { key: t.key });
      return r.body.data.status === 'completed' && r;
    });
    const asset = await t.api('GET', `/v1/assets/${done.body.data.asset_id}`, { key: t.key });
    assert.equal(asset.body.data.sha256, sha256(image));
    assert.equal(asset.body.data.title, 'Joined');

    // A PATCH to the final is 403; the partials are gone (410), their bytes and reservations too.
    const p = await patch(url, image.length, Buffer.from('x'));
    assert.equal(p.status, 403);
    assert.equal(((await p.json()) as { error: { details: { reason: string } } }).error.details.reason, 'final_upload');
    assert.equal((await head(a)).status, 410);
    assert.equal((await head(b)).status, 410);
    const files = await t.storedFiles();
    assert.deepEqual(files.filter((f) => f.includes(idOf(a)) || f.includes(idOf(b))), []);
    assert.equal(await usage(), base);
  });

  it('refusals create nothing: unfinished, not partial, unknown, named twice, with a length or a body, a bad header', async () => {
    const bytes = textFile(4000, 2);
    const done = await partial(bytes.subarray(0, 2000));
    const unfinished = await partial(bytes.subarray(2000), 500);
    const plain = await create({ 'Upload-Length': '10', 'Upload-Metadata': `filetype ${b64('text/plain')}` });
    assert.equal(plain.status, 201);
    const base = await usage();
    const count = await uploadCount();
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ 'Upload-Concat': `final;${done} ${unfinished}` }, 400, 'a partial that is not finished'],
      [{ 'Upload-Concat': `final;${done} ${plain.headers.get('location')}` }, 400, 'an upload that is not partial'],
      [{ 'Upload-Concat': `final;${done} /tus/upl_nosuchupload` }, 404, 'an unknown upload'],
      [{ 'Upload-Concat': `final;${done} ${done}` }, 400, 'a partial named twice'],
      [{ 'Upload-Concat': `final;${done}`, 'Upload-Length': '2000' }, 400, 'a length'],
      [{ 'Upload-Concat': 'final;' }, 400, 'no partial'],
      [{ 'Upload-Concat': `final;${done}`, 'Upload-Metadata': `filetype ${b64('application/x-msdownload')}` }, 415, 'a type not allowed'],
    ];
    for (const [headers, status, what] of cases) {
      const res = await create({ 'Upload-Metadata': `filetype ${b64('text/plain')}`, ...headers });
      assert.equal(res.status, status, `${what}: ${await res.text()}`);
    }
    const withBody = await fetch(`${t.url}/tus/`, { method: 'POST', headers: { ...auth(), 'Upload-Concat': `final;${done}`, 'Content-Type': OCTETS }, body: Buffer.from('abc') });
    assert.equal(withBody.status, 400);
    assert.equal(await uploadCount(), count, 'no session was created');
    assert.equal(await usage(), base);
    // The partials are untouched: the finished one can still be joined.
    assert.equal((await head(done)).headers.get('upload-offset'), '2000');
    const terminated = await fetch(done, { method: 'DELETE', headers: auth() });
    assert.equal(terminated.status, 204);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(idOf(done))), []);
  });

  it('tus-js-client with parallelUploads: partial uploads and a final, unchanged', async () => {
    const file = textFile(300_000, 9);
    let url = '';
    await new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint: `${t.url}/tus/`,
        headers: { Authorization: `Bearer ${t.key}` },
        parallelUploads: 3,
        metadata: { filename: 'parallel.txt', filetype: 'text/plain' },
        onSuccess: () => {
          url = upload.url!;
          resolve();
        },
        onError: reject,
      });
      upload.start();
    });
    const done = await eventually(async () => {
      const r = await t.api('GET', `/v1/uploads/${idOf(url)}`, { key: t.key });
      return r.body.data.status === 'completed' && r;
    });
    const asset = await t.api('GET', `/v1/assets/${done.body.data.asset_id}`, { key: t.key });
    assert.equal(asset.body.data.sha256, sha256(file));
    assert.equal(asset.body.data.filesize, file.length);
  });
});

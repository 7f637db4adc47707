/**
 * The ittybit uploads document, run as written against a real server on local disk and on
 * Ceph RGW: a session made with no body → a form with only `file` to its URL, no key → the
 * media object; a resumable session → 10 MB chunks PUT in reverse order with
 * `X-Upload-Index`, one sent twice → POST `{parts}` to the same URL → the media object
 * (bitrate in kbps, path-like alias, delivery routes). Bad input gets a 4xx, never a 5xx,
 * and leaves no bytes and no quota behind.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, type TestIntake } from '../helpers/intake.js';
import { jpeg, png } from '../helpers/media.js';
import { stores } from './stores.js';

const CHUNK_SIZE = 1024 * 1024 * 10;

/** A real WAV (16-bit stereo, 44.1 kHz: 1,411.2 kbps) of `bytes` bytes or a little more. */
function wav(bytes: number): Buffer {
  const data = Math.ceil((bytes - 44) / 4) * 4;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(44100, 24);
  h.writeUInt32LE(44100 * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data, 40);
  const body = Buffer.alloc(data);
  for (let i = 0; i < data; i += 4096) body[i] = i & 0xff;
  return Buffer.concat([h, body]);
}

for (const store of stores()) {
  describe(`ittybit on ${store.name}`, () => {
    let t: TestIntake;
    let key: string;
    let BASE_URL: string;
    before(async () => {
      t = await store.start();
      ({ key } = await t.tenant());
      BASE_URL = `${t.url}/compat/ittybit`;
    });
    after(async () => {
      await t?.close();
      await store.stop();
    });

    /** Step 1 as the document's server code: POST /uploads with the key (and here, optionally, a body). */
    async function session(json?: unknown, k = key) {
      const res = await fetch(`${BASE_URL}/uploads`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${k}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: res.status, body: (await res.json()) as any };
    }

    /** The document's simple upload: a form with only `file`, no key. */
    const simple = (url: string, bytes: Buffer, name = 'photo.jpg') => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      return fetch(url, { method: 'POST', body: form });
    };

    const put = (url: string, i: number | string | undefined, chunk: Buffer) =>
      fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...(i === undefined ? {} : { 'X-Upload-Index': String(i) }) }, body: chunk });

    const finish = (url: string, parts: unknown) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts }) });

    it('simple: a session with no body, a form with only `file`, the media object; GET /media and /{id}/original', async () => {
      const created = await session();
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.deepEqual(Object.keys(created.body).sort(), ['data', 'links', 'meta']);
      assert.deepEqual([created.body.meta.method, created.body.meta.url, created.body.meta.status, created.body.links], ['POST', '/compat/ittybit/uploads', 200, {}]);
      const { url } = created.body.data;
      assert.match(url, new RegExp(`^${t.url}/compat/ittybit/store/single\\?key=`));

      const bytes = await jpeg(200, 100);
      const res = await simple(url, bytes);
      const result = (await res.json()) as any;
      assert.equal(res.status, 200, JSON.stringify(result));
      const media = result.data;
      assert.match(media.id, /^med_/);
      assert.deepEqual(
        [media.object, media.kind, media.mimetype, media.width, media.height, media.filesize, media.status, media.alias, media.bitrate, media.intelligence],
        ['media', 'image', 'image/jpeg', 200, 100, bytes.length, 'active', null, null, []],
      );
      assert.equal(media.url, `${BASE_URL}/${media.id}/original`);
      const original = media.sources.find((s: any) => s.label === 'original');
      assert.deepEqual([original.object, original.url, original.filesize], ['source', `${BASE_URL}/${media.id}/original`, bytes.length]);
      assert.deepEqual(result.links, { self: `/media/${media.id}`, parent: '/media' });
      assert.equal(result.meta.object, 'media');

      // One use: a second form to the same URL changes nothing.
      assert.equal((await simple(url, await png())).status, 409);

      const got = await fetch(`${BASE_URL}/media/${media.id}`, { headers: { Authorization: `Bearer ${key}` } });
      const shown = (await got.json()) as any;
      assert.equal(got.status, 200);
      assert.deepEqual([shown.data.id, shown.data.filesize, shown.data.status], [media.id, bytes.length, 'active']);

      const delivered = await fetch(`${BASE_URL}/${media.id}/original`, { headers: { Authorization: `Bearer ${key}` }, redirect: 'manual' });
      assert.equal(delivered.status, 302);
      const file = await fetch(delivered.headers.get('location')!);
      assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
      // Without a key, only namespaces with public_delivery are served: the same 404 as an unknown id.
      assert.equal((await fetch(`${BASE_URL}/${media.id}/original`, { redirect: 'manual' })).status, 404);
    });

    it('resumable: 10 MB chunks in reverse order, one sent twice, POST {parts}: the media (kbps, path alias, delivery)', async () => {
      const created = await session({ resumable: true, alias: 'usr_abcd/profile/video', metadata: { user_id: 'usr_abcd', filename: 'original-filename.wav' } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const url = created.body.data.url;
      assert.match(url, new RegExp(`^${t.url}/compat/ittybit/store/resumable\\?key=`));

      const file = wav(2 * CHUNK_SIZE + 5 * 1024 * 1024);
      const totalChunks = Math.ceil(file.length / CHUNK_SIZE);
      const parts: any[] = [];
      for (const i of [2, 1, 0, 1]) {
        const chunk = file.subarray(i * CHUNK_SIZE, Math.min(file.length, (i + 1) * CHUNK_SIZE));
        const response = await put(url, i, chunk);
        const body = (await response.json()) as any;
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.deepEqual(Object.keys(body.data).sort(), ['etag', 'index']);
        assert.equal(body.data.index, i);
        parts.push(body.data);
      }
      assert.equal(totalChunks, 3);
      const response = await finish(url, parts.slice(0, 3));
      const result = (await response.json()) as any;
      assert.equal(response.status, 200, JSON.stringify(result));
      const media = result.data;
      assert.deepEqual(
        [media.object, media.kind, media.filesize, media.alias, media.bitrate, media.metadata],
        ['media', 'audio', file.length, 'usr_abcd/profile/video', 1411, { filename: 'original-filename.wav', user_id: 'usr_abcd' }],
      );
      assert.ok(['processing', 'active'].includes(media.status), media.status);
      assert.ok(Math.abs(media.duration - (file.length - 44) / (44100 * 4)) < 0.1, `duration ${media.duration}`);
      assert.equal(media.url, `${BASE_URL}/usr_abcd/profile/video/`);
      assert.equal(media.sources.find((s: any) => s.label === 'original').bitrate, 1411);
      await eventually(async () => {
        const shown = (await (await fetch(`${BASE_URL}/media/${media.id}`, { headers: { Authorization: `Bearer ${key}` } })).json()) as any;
        return shown.data.status === 'active';
      }, 30_000, 'the media active');

      // The alias route resolves to the media; the URL is spent.
      const byAlias = await fetch(media.url, { headers: { Authorization: `Bearer ${key}` }, redirect: 'manual' });
      assert.equal(byAlias.status, 302, await byAlias.text());
      const stored = Buffer.from(await (await fetch(byAlias.headers.get('location')!)).arrayBuffer());
      assert.ok(stored.equals(file), 'the stored file is the chunks in index order');
      assert.equal((await finish(url, parts.slice(0, 3))).status, 409);
      assert.equal((await put(url, 0, file.subarray(0, 10))).status, 409);
      // The native API sees the same asset by its alias.
      const native = await t.api('GET', `/v1/assets/by-alias/${encodeURIComponent('usr_abcd/profile/video')}`, { key });
      assert.deepEqual([native.status, native.body.data.id, Math.round(native.body.data.bitrate / 1000)], [200, media.id, 1411]);
    });

    it('a chunk cut off mid-way is dropped at once: the same index sent again is taken', async () => {
      const url = (await session({ resumable: true })).body.data.url;
      const target = new URL(url);
      const req = http.request(target, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'X-Upload-Index': '0', 'Content-Length': String(8 * 1024 * 1024) } });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(1024 * 1024, 7));
      await new Promise((resolve) => setTimeout(resolve, 200));
      req.destroy();
      const chunk = await png(20, 10);
      // While the cut request is still being torn down the index may be busy (409 upload_in_progress); then it is free.
      const again = await eventually(async () => {
        const res = await put(url, 0, chunk);
        return res.status === 409 ? null : res;
      }, 10_000, 'the cut chunk\'s index free again');
      const body = (await again.json()) as any;
      assert.equal(again.status, 200, JSON.stringify(body));
      const done = await finish(url, [body.data]);
      const media = ((await done.json()) as any).data;
      assert.equal(done.status, 200, JSON.stringify(media));
      assert.deepEqual([media.kind, media.width, media.filesize], ['image', 20, chunk.length]);
      assert.deepEqual(await t.tempFiles(), []);
    });

    it('bad input: the documented 4xx, never a 5xx; nothing stored, no quota held', async () => {
      const usage = async () => (await t.api('GET', '/v1/usage', { key })).body.data;
      // A namespace of its own: the earlier tests' media may still add derived files to theirs.
      key = (await t.tenant()).key;
      const before = await usage();
      for (const [what, json] of [
        ['an alias with a space', { alias: 'bad alias' }],
        ['an alias with an empty segment', { alias: 'usr//video' }],
        ['conditions with an unknown key', { conditions: { operator: '&&', rules: [{ key: 'colour', operator: '==', value: 'red' }] } }],
        ['metadata nested too deep', { metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }],
        ['resumable not a boolean', { resumable: 'yes' }],
      ] as const) {
        const res = await session(json);
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.error.code, 'string', what);
      }
      assert.equal((await session(undefined, 'nope')).status, 401);
      assert.equal((await fetch(`${BASE_URL}/media/med_nothing`, { headers: { Authorization: `Bearer ${key}` } })).status, 404);

      // Simple URL: tampered, no file, used as a chunk URL, expired.
      const simpleUrl = (await session()).body.data.url;
      const tampered = new URL(simpleUrl);
      tampered.searchParams.set('key', tampered.searchParams.get('key')!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
      assert.equal((await simple(tampered.href, await png())).status, 403);
      const noFile = new FormData();
      noFile.append('title', 'x');
      assert.equal((await fetch(simpleUrl, { method: 'POST', body: noFile })).status, 400);
      const asChunks = simpleUrl.replace('/store/single', '/store/resumable');
      assert.equal((await put(asChunks, 0, Buffer.alloc(10))).status, 403);
      // Bytes that are no known media: refused at verification (415), the session's bytes removed.
      const text = await simple(simpleUrl, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...Array.from({ length: 200 }, (_, i) => i)]), 'a.out');
      assert.equal(text.status, 415, await text.clone().text());

      // Chunked URL: no index, bad index, a part too small in the middle, a part never sent, an ETag that is not the part's.
      const url = (await session({ resumable: true })).body.data.url;
      for (const i of [undefined, '-1', '10000', 'x']) assert.equal((await put(url, i, Buffer.alloc(10))).status, 400, `index ${i}`);
      const small = await (await put(url, 0, Buffer.alloc(1000, 1))).json() as any;
      const last = await (await put(url, 1, Buffer.alloc(1000, 2))).json() as any;
      const tooSmall = await finish(url, [small.data, last.data]);
      assert.ok(tooSmall.status >= 400 && tooSmall.status < 500, `part too small: ${tooSmall.status}`);
      const url2 = (await session({ resumable: true })).body.data.url;
      const p0 = (await (await put(url2, 0, Buffer.alloc(1000, 1))).json() as any).data;
      // The parts named do not match what arrived (422 verification_failed, as native complete): the URL stays usable.
      assert.equal((await finish(url2, [p0, { index: 1, etag: '"0123"' }])).status, 422);
      assert.equal((await finish(url2, [{ index: 0, etag: '"0123"' }])).status, 422);
      assert.equal((await finish(url2, [])).status, 400);
      assert.equal((await fetch(url2, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"parts": "all"}' })).status, 400);
      t.clock.advance(3601);
      assert.equal((await put(url2, 0, Buffer.alloc(10))).status, 410);
      assert.equal((await finish(url2, [p0])).status, 410);
      t.clock.advance(-3601);

      // A namespace over its quota: the chunk is refused while it streams.
      const small2 = await t.tenant({ quota_bytes: 2 * 1024 * 1024 });
      const quotaUrl = (await session({ resumable: true }, small2.key)).body.data.url;
      const over = await put(quotaUrl, 0, Buffer.alloc(3 * 1024 * 1024, 3));
      assert.equal(over.status, 403, await over.clone().text());
      assert.equal(((await over.json()) as any).error.code, 'quota_exceeded');
      const smallUsage = (await t.api('GET', '/v1/usage', { key: small2.key })).body.data;
      assert.deepEqual([smallUsage.stored_bytes, smallUsage.reserved_bytes], [0, 0]);

      assert.deepEqual(await t.tempFiles(), []);
      const afterUsage = await usage();
      assert.equal(afterUsage.stored_bytes, before.stored_bytes);
    });
  });
}

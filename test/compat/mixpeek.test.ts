/**
 * Mixpeek's presigned bucket uploads, run as its document writes them (base URL and key
 * changed only) against a real server on local disk and on Ceph RGW: upload → PUT with
 * Content-Type → confirm with the ETag, with or without file_size (then Intake's own URL,
 * quota and limits applied as the bytes stream, a refusal answered again by confirm);
 * object_metadata with lists; dedupe by hash before signing and at confirm; one object
 * from several uploads; unique-key skip; async confirm followed by its task; cancel; and
 * every refusal the document says runs before signing, each a 4xx of the document's
 * shape that leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, eventually, type TestIntake } from '../helpers/intake.js';
import { ffmpegMedia, png, sha256 } from '../helpers/media.js';
import { stores } from './stores.js';

const SCHEMA = {
  properties: {
    image: { type: 'image' },
    video: { type: 'video' },
    thumbnail: { type: 'image' },
    sku: { type: 'string' },
    priority: { type: 'string' },
    category: { type: 'string' },
  },
};
const MIB = 1024 * 1024;

/**
 * A PUT sent chunked (no Content-Length), so the server learns its size as it streams. A
 * server that refuses it answers and closes while the client may still be writing: the
 * client may then see the reset rather than the answer.
 */
async function putChunked(url: string, contentType: string, bytes: Buffer): Promise<{ status: number; body: any } | { reset: true }> {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let at = 0; at < bytes.length; at += 64 * 1024) c.enqueue(bytes.subarray(at, at + 64 * 1024));
      c.close();
    },
  });
  try {
    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body, duplex: 'half' } as RequestInit);
    return { status: res.status, body: await res.json() };
  } catch {
    return { reset: true };
  }
}

for (const store of stores()) {
  describe(`Mixpeek on ${store.name}`, () => {
    let t: TestIntake;
    let key: string;
    let namespace: string;
    let bucket: string;
    const API = () => `${t.url}/compat/mixpeek/v1`;

    before(async () => {
      t = await store.start({ MAX_UPLOAD_SIZE_MB: '4' });
      ({ key, namespaceId: namespace } = await t.tenant());
      const created = await t.api('POST', '/v1/buckets', { key, json: { name: 'products', schema: SCHEMA, unique_key: ['sku'] } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      bucket = created.body.data.id;
      assert.match(bucket, /^bkt_/);
    });
    after(async () => {
      await t?.close();
      await store.stop();
    });

    /** The document's request: Bearer key, X-Namespace (name or id), JSON. */
    const call = async (method: string, route: string, json?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${API()}${route}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'X-Namespace': namespace, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
    };

    /** Step 1 of the document: curl -X PUT '{presigned_url}' -H 'Content-Type: {content_type}' --upload-file {filename}. */
    const put = async (url: string, contentType: string, bytes: Buffer) => {
      const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body: bytes });
      assert.equal(res.status, 200, await res.text());
      const etag = res.headers.get('etag');
      assert.ok(etag, 'the store answers an ETag to pass to confirm');
      return etag;
    };

    const upload = (body: Record<string, unknown>) => call('POST', `/buckets/${bucket}/uploads`, body);

    async function uploadPutConfirm(bytes: Buffer, body: Record<string, unknown>) {
      const created = await upload({ file_size: bytes.length, ...body });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.status, 'PENDING');
      const etag = await put(created.body.presigned_url, body.content_type as string, bytes);
      const confirmed = await call('POST', `/buckets/${bucket}/uploads/${created.body.upload_id}/confirm`, { etag });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      return { created: created.body, confirmed: confirmed.body, etag };
    }

    let photo: Buffer;
    let first: { upload_id: string; object_id: string };

    it('upload → PUT → confirm with the ETag: COMPLETED, with its object, in the document\'s fields', async () => {
      photo = await png(120, 80);
      const { created, confirmed, etag } = await uploadPutConfirm(photo, {
        filename: 'image.png',
        content_type: 'image/png',
        presigned_url_expiration: 900,
        metadata: { campaign: 'summer_2024', source: 'mobile_app' },
        object_metadata: { sku: 'A1', priority: 'high' },
      });
      assert.match(created.upload_id, /^upl_/);
      assert.deepEqual(
        [created.bucket_id, created.filename, created.content_type, created.presigned_url_expiration, created.create_object_on_confirm, created.blob_property, created.blob_type, created.is_duplicate, created.file_size],
        [bucket, 'image.png', 'image/png', 900, true, 'image', 'IMAGE', false, photo.length],
      );
      assert.ok(created.s3_key.includes(created.upload_id) && created.expires_at && created.created_at);
      assert.deepEqual([created.metadata, created.object_metadata, created.object_id], [{ campaign: 'summer_2024', source: 'mobile_app' }, { sku: 'A1', priority: 'high' }, null]);
      assert.equal(confirmed.status, 'COMPLETED');
      assert.equal(confirmed.file_hash, sha256(photo));
      assert.equal(confirmed.etag, etag);
      assert.match(confirmed.object_id, /^med_/);
      assert.deepEqual(confirmed.object_metadata, { sku: 'A1', priority: 'high' });
      first = { upload_id: created.upload_id, object_id: confirmed.object_id };

      // GET /v1/uploads/{id}, by the namespace's name this time; the object is a native asset in the bucket.
      const got = await call('GET', `/uploads/${created.upload_id}`, undefined, { 'X-Namespace': 'test' });
      assert.deepEqual([got.status, got.body.status, got.body.metadata.campaign, got.body.object_id], [200, 'COMPLETED', 'summer_2024', first.object_id]);
      const native = await t.api('GET', `/v1/uploads/${created.upload_id}`, { key });
      assert.deepEqual([native.body.data.bucket_id, native.body.data.bucket_property], [bucket, 'image']);
      assert.equal((await t.api('GET', `/v1/assets/${first.object_id}`, { key })).body.data.status, 'ready');
    });

    it('dedupe by file_hash: the existing upload, no URL, before anything is signed', async () => {
      const dup = await upload({ filename: 'image.png', content_type: 'image/png', file_size: photo.length, file_hash: sha256(photo), object_metadata: { sku: 'A2' } });
      assert.equal(dup.status, 200, JSON.stringify(dup.body));
      assert.deepEqual([dup.body.is_duplicate, dup.body.duplicate_of_upload_id, dup.body.presigned_url, dup.body.status, dup.body.object_id], [true, first.upload_id, null, 'COMPLETED', first.object_id]);
      assert.match(dup.body.message, /already exists/);
    });

    it('dedupe at confirm: without file_hash the same bytes are found at confirm and said so', async () => {
      const { confirmed } = await uploadPutConfirm(photo, { filename: 'image.png', content_type: 'image/png', object_metadata: { sku: 'A3' } });
      assert.deepEqual([confirmed.status, confirmed.is_duplicate, confirmed.duplicate_of_upload_id], ['COMPLETED', true, first.upload_id]);
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.equal(usage.stored_bytes, photo.length, 'the bytes are stored once');
    });

    it('unique key: an upload whose key values an object already holds is skipped, nothing signed', async () => {
      const skipped = await upload({ filename: 'image.png', content_type: 'image/png', file_size: 10, object_metadata: { sku: 'A1' } });
      assert.equal(skipped.status, 200, JSON.stringify(skipped.body));
      assert.deepEqual([skipped.body.skipped_unique_key, skipped.body.existing_object_id, skipped.body.presigned_url, skipped.body.upload_id], [true, first.object_id, null, null]);
    });

    it('one object from several uploads: create_object_on_confirm false, then POST /buckets/{id}/objects', async () => {
      const video = await ffmpegMedia('mp4');
      const thumb = await png(32, 32);
      const v = await uploadPutConfirm(video, { filename: 'clip.mp4', content_type: 'video/mp4', blob_property: 'video', create_object_on_confirm: false });
      const p = await uploadPutConfirm(thumb, { filename: 'thumb.png', content_type: 'image/png', blob_property: 'thumbnail', create_object_on_confirm: false });
      for (const c of [v.confirmed, p.confirmed]) assert.deepEqual([c.status, c.object_id, c.create_object_on_confirm], ['COMPLETED', null, false]);
      const obj = await call('POST', `/buckets/${bucket}/objects`, { upload_ids: [v.created.upload_id, p.created.upload_id], metadata: { sku: 'OBJ1' } });
      assert.equal(obj.status, 200, JSON.stringify(obj.body));
      assert.match(obj.body.object_id, /^med_/);
      assert.deepEqual(obj.body.blobs.map((b: any) => [b.property, b.type, b.upload_id]), [['video', 'VIDEO', v.created.upload_id], ['thumbnail', 'IMAGE', p.created.upload_id]]);
      assert.deepEqual([obj.body.bucket_id, obj.body.metadata], [bucket, { sku: 'OBJ1' }]);
      // The same key values again: 409, the uploads stay unattached.
      const again = await uploadPutConfirm(await png(20, 20), { filename: 'x.png', content_type: 'image/png', blob_property: 'image', create_object_on_confirm: false });
      const taken = await call('POST', `/buckets/${bucket}/objects`, { upload_ids: [again.created.upload_id], metadata: { sku: 'OBJ1' } });
      assert.deepEqual([taken.status, taken.body.success, taken.body.error.details.existing_asset_id], [409, false, obj.body.object_id]);
      assert.equal((await call('DELETE', `/uploads/${again.created.upload_id}`)).status, 200);
    });

    it('async confirm: a task_id whose task goes to COMPLETED with the result', async () => {
      const bytes = await png(50, 50);
      const created = await upload({ filename: 'image.png', content_type: 'image/png', file_size: bytes.length, object_metadata: { sku: 'A4' } });
      await put(created.body.presigned_url, 'image/png', bytes);
      const queued = await call('POST', `/uploads/${created.body.upload_id}/confirm`, { async: true });
      assert.equal(queued.status, 200, JSON.stringify(queued.body));
      assert.match(queued.body.task_id, /^task_/);
      assert.equal(queued.body.status, 'PROCESSING');
      const done = await eventually(async () => {
        const task = await call('GET', `/tasks/${queued.body.task_id}`);
        assert.equal(task.status, 200);
        assert.ok(['PENDING', 'PROCESSING', 'COMPLETED'].includes(task.body.status), task.body.status);
        return task.body.status === 'COMPLETED' ? task.body : null;
      }, 30_000, 'the async confirm');
      assert.deepEqual([done.upload_id, done.result.status, done.result.file_hash], [created.body.upload_id, 'COMPLETED', sha256(bytes)]);
      assert.match(done.result.object_id, /^med_/);
      assert.equal((await t.api('GET', `/v1/tasks/${queued.body.task_id}`, { key })).body.data.status, 'completed');
    });

    it('async confirm with an ETag: checked in the request, its task done at once; a wrong ETag is 422 and leaves nothing', async () => {
      const bytes = await png(51, 51);
      const created = await upload({ filename: 'image.png', content_type: 'image/png', file_size: bytes.length, object_metadata: { sku: 'A5' } });
      const etag = await put(created.body.presigned_url, 'image/png', bytes);
      const confirmed = await call('POST', `/uploads/${created.body.upload_id}/confirm`, { etag, async: true });
      assert.deepEqual([confirmed.status, confirmed.body.status], [200, 'COMPLETED']);
      const task = await call('GET', `/tasks/${confirmed.body.task_id}`);
      assert.deepEqual([task.status, task.body.status, task.body.result.object_id], [200, 'COMPLETED', confirmed.body.object_id]);

      await t.settled();
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      const objects = await store.objects(t);
      const other = await png(52, 52);
      const wrong = await upload({ filename: 'image.png', content_type: 'image/png', file_size: other.length, object_metadata: { sku: 'A6' } });
      await put(wrong.body.presigned_url, 'image/png', other);
      const refused = await call('POST', `/uploads/${wrong.body.upload_id}/confirm`, { etag: '"not-the-etag"' });
      assert.deepEqual([refused.status, refused.body.success, refused.body.error.details.reason], [422, false, 'etag_mismatch']);
      assert.equal((await call('GET', `/uploads/${wrong.body.upload_id}`)).body.status, 'FAILED');
      const afterNs = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.deepEqual([afterNs.reserved_bytes, afterNs.stored_bytes], [usage.reserved_bytes, usage.stored_bytes]);
      assert.deepEqual(await store.objects(t), objects, 'the refused bytes are gone');
    });

    it('cancel: DELETE /v1/uploads/{id} is CANCELED; confirm then refuses; nothing is held', async () => {
      const created = await upload({ filename: 'image.png', content_type: 'image/png', file_size: 1000, object_metadata: { sku: 'C1' } });
      const canceled = await call('DELETE', `/uploads/${created.body.upload_id}`);
      assert.deepEqual([canceled.status, canceled.body.status], [200, 'CANCELED']);
      const late = await call('POST', `/uploads/${created.body.upload_id}/confirm`, {});
      assert.deepEqual([late.status, late.body.success], [409, false]);
      // The key value is free again.
      const reuse = await upload({ filename: 'image.png', content_type: 'image/png', file_size: 1000, object_metadata: { sku: 'C1' } });
      assert.equal(reuse.body.skipped_unique_key, false);
      assert.equal((await call('DELETE', `/uploads/${reuse.body.upload_id}`)).status, 200);
    });

    it('without file_size (OPTIONAL in the document): a PUT URL of Intake\'s own; the size is the bytes\'; PUT → confirm → object', async () => {
      const bytes = await png(90, 60);
      const created = await upload({ filename: 'image.png', content_type: 'image/png', object_metadata: { sku: 'NS1' } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.deepEqual([created.body.status, created.body.file_size, created.body.upload_headers], ['PENDING', null, { 'Content-Type': 'image/png' }]);
      // On both stores Intake serves this URL: it bounds the bytes and takes quota as they stream.
      assert.ok(created.body.presigned_url.startsWith(`${t.url}/store/single?key=`), created.body.presigned_url);
      assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0, 'nothing is held before the bytes');
      const objects = await store.objects(t);

      const etag = await put(created.body.presigned_url, 'image/png', bytes);
      const got = await call('GET', `/uploads/${created.body.upload_id}`);
      assert.deepEqual([got.body.status, got.body.file_size], ['PENDING', bytes.length]);
      const confirmed = await call('POST', `/buckets/${bucket}/uploads/${created.body.upload_id}/confirm`, { etag });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.deepEqual([confirmed.body.status, confirmed.body.file_size, confirmed.body.file_hash, confirmed.body.etag], ['COMPLETED', bytes.length, sha256(bytes), etag]);
      assert.match(confirmed.body.object_id, /^med_/);
      const asset = (await t.api('GET', `/v1/assets/${confirmed.body.object_id}`, { key })).body.data;
      assert.deepEqual([asset.status, asset.filesize, asset.width], ['ready', bytes.length, 90]);
      const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.equal(usage.reserved_bytes, 0, 'the bytes\' quota moved from reserved to stored');
      const stored = (await store.objects(t)).filter((k) => !objects.includes(k));
      assert.ok(stored.some((k) => k.includes(created.body.upload_id)), `the object is stored: ${stored.join(', ')}`);
      const again = await fetch(created.body.presigned_url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: bytes });
      assert.equal(again.status, 409, 'the URL takes one file');
      // With file_hash and no file_size, the dedupe before signing still answers.
      const dup = await upload({ filename: 'image.png', content_type: 'image/png', file_hash: sha256(bytes), object_metadata: { sku: 'NS2' } });
      assert.deepEqual(
        [dup.status, dup.body.is_duplicate, dup.body.duplicate_of_upload_id, dup.body.presigned_url, dup.body.status, dup.body.object_id, dup.body.file_size],
        [200, true, created.body.upload_id, null, 'COMPLETED', confirmed.body.object_id, bytes.length],
      );
    });

    it('without file_size, over the size limit or the quota: the PUT is refused as it streams, the upload FAILED, confirm answers 400 / 403; nothing stored or held', async () => {
      const big = Buffer.concat([await png(8, 8), Buffer.alloc(5 * MIB)]);
      // Namespaces of their own (their counts are this test's alone): one with a 1 MiB image limit, one with a 1 MiB quota.
      const objects = await store.objects(t);
      const tenantWithBucket = async (opts: { quota_bytes?: number; limits?: Record<string, number> }) => {
        const tenant = await t.tenant(opts);
        const b = (await t.api('POST', '/v1/buckets', { key: tenant.key, json: { name: 'b', schema: SCHEMA } })).body.data.id;
        const as = { Authorization: `Bearer ${tenant.key}`, 'X-Namespace': tenant.namespaceId };
        const make = async () => {
          const created = await call('POST', `/buckets/${b}/uploads`, { filename: 'image.png', content_type: 'image/png' }, as);
          assert.equal(created.status, 200, JSON.stringify(created.body));
          return created.body as { upload_id: string; presigned_url: string };
        };
        return { ...tenant, as, make };
      };
      const limited = await tenantWithBucket({ limits: { image: MIB } });
      const tight = await tenantWithBucket({ quota_bytes: MIB });
      // Over the limit, said by its Content-Length: refused before a byte is read.
      // (The server answers and closes without reading: a client still writing may see the reset first.)
      const byLength = await limited.make();
      const res = await fetch(byLength.presigned_url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: big }).catch(() => null);
      if (res) assert.equal(res.status, 413);
      // The same, chunked: refused at the first byte over the limit.
      const streamed = await limited.make();
      const overLimit = await putChunked(streamed.presigned_url, 'image/png', big);
      if ('status' in overLimit) assert.deepEqual([overLimit.status, overLimit.body.error.code], [413, 'file_too_large']);
      // Under the limit (4 MiB), over the 1 MiB quota: refused as the bytes pass the quota.
      const overQuota = await tight.make();
      const quota = await putChunked(overQuota.presigned_url, 'image/png', big.subarray(0, 3 * MIB));
      if ('status' in quota) assert.deepEqual([quota.status, quota.body.error.code], [403, 'quota_exceeded']);

      for (const [who, u, status, type] of [[limited, byLength, 400, 'file_too_large'], [limited, streamed, 400, 'file_too_large'], [tight, overQuota, 403, 'quota_exceeded']] as const) {
        const confirmed = await call('POST', `/uploads/${u.upload_id}/confirm`, {}, who.as);
        assert.deepEqual([confirmed.status, confirmed.body.success, confirmed.body.error.type], [status, false, type], JSON.stringify(confirmed.body));
        const got = await call('GET', `/uploads/${u.upload_id}`, undefined, who.as);
        assert.deepEqual([got.body.status, got.body.error.code, got.body.object_id], ['FAILED', type, null]);
        // Its pending object went with it: no asset row is left.
        const native = (await t.api('GET', `/v1/uploads/${u.upload_id}`, { key: who.key })).body.data;
        assert.equal(await t.intake.deps.store.assets.find(who.namespaceId, native.asset_id), undefined);
      }
      for (const who of [limited, tight]) {
        const usage = (await t.api('GET', '/v1/usage', { key: who.key })).body.data;
        assert.deepEqual([usage.stored_bytes, usage.reserved_bytes], [0, 0]);
      }
      assert.deepEqual(await store.objects(t), objects, 'nothing was stored');
      if (store.name === 'local') await eventually(async () => (await t.tempFiles()).length === 0, 5000, 'the temp files to go');
      // A file that fits still goes through, on a new upload.
      const fits = await tight.make();
      const etag = await put(fits.presigned_url, 'image/png', await png(8, 8));
      assert.equal((await call('POST', `/uploads/${fits.upload_id}/confirm`, { etag }, tight.as)).body.status, 'COMPLETED');
    });

    it('object_metadata with a list (the document\'s tags: [\'featured\']) and nested values round-trips', async () => {
      const object_metadata = { sku: 'T1', priority: 'high', category: 'products', tags: ['featured'], dims: { w: 90, h: [60, 'px'] } };
      const { created, confirmed } = await uploadPutConfirm(await png(91, 61), { filename: 'image.png', content_type: 'image/png', object_metadata });
      assert.deepEqual([created.object_metadata, confirmed.object_metadata], [object_metadata, object_metadata]);
      assert.deepEqual((await call('GET', `/uploads/${created.upload_id}`)).body.object_metadata, object_metadata);
      assert.deepEqual((await t.api('GET', `/v1/assets/${confirmed.object_id}`, { key })).body.data.metadata, object_metadata);
      // The tracking metadata and an object from several uploads take lists too.
      const part = await uploadPutConfirm(await png(92, 62), { filename: 'image.png', content_type: 'image/png', create_object_on_confirm: false, metadata: { batch: [1, 2] } });
      assert.deepEqual(part.confirmed.metadata, { batch: [1, 2] });
      const obj = await call('POST', `/buckets/${bucket}/objects`, { upload_ids: [part.created.upload_id], metadata: { sku: 'T2', tags: ['featured', 'new'] } });
      assert.deepEqual([obj.status, obj.body.metadata], [200, { sku: 'T2', tags: ['featured', 'new'] }]);
    });

    it('every refusal before signing: the document\'s status, its error shape, nothing signed, stored or reserved', async () => {
      await t.settled();
      const before = (await t.api('GET', '/v1/usage', { key })).body.data;
      const objects = await store.objects(t);
      const open = (await t.api('GET', '/v1/uploads?status=pending', { key })).body.data.length;
      const noSchema = (await t.api('POST', '/v1/buckets', { key, json: { name: 'raw' } })).body.data.id;
      const inactive = (await t.api('POST', '/v1/buckets', { key, json: { name: 'paused', active: false, schema: SCHEMA } })).body.data.id;
      const ok = { filename: 'image.png', content_type: 'image/png', file_size: 100, object_metadata: { sku: 'R1' } };
      const cases: Array<[string, string, Record<string, unknown>, number, Record<string, string>?]> = [
        ['no X-Namespace', bucket, ok, 400, { 'X-Namespace': '' }],
        ['another namespace', bucket, ok, 404, { 'X-Namespace': 'ns_someoneelse' }],
        ['an unknown bucket', 'bkt_nope', ok, 404],
        ['an inactive bucket', inactive, ok, 400],
        ['a bucket without a schema, object on confirm', noSchema, ok, 400],
        ['blob_property not in the schema', bucket, { ...ok, blob_property: 'poster' }, 400],
        ['blob_property not alphanumeric', bucket, { ...ok, blob_property: 'my-image' }, 400],
        ['the filename as property, not in the schema', bucket, { ...ok, filename: 'product_video.png' }, 400],
        ['content_type not the property\'s type', bucket, { ...ok, blob_property: 'video' }, 400],
        ['blob_type not the property\'s', bucket, { ...ok, blob_type: 'VIDEO' }, 400],
        ['blob_type unknown', bucket, { ...ok, blob_type: 'SPREADSHEET' }, 400],
        ['path traversal in filename', bucket, { ...ok, filename: '../../etc/image.png' }, 400],
        ['not a MIME type', bucket, { ...ok, content_type: 'notamime' }, 400],
        ['a type Intake does not take', bucket, { ...ok, content_type: 'application/x-msdownload' }, 400],
        ['over the size limit', bucket, { ...ok, file_size: 5 * 1024 * 1024 }, 400],
        ['metadata of the wrong type', bucket, { ...ok, object_metadata: { sku: 5 } }, 400],
        ['a unique-key field missing', bucket, { ...ok, object_metadata: { priority: 'high' } }, 400],
        ['a list under a string property', bucket, { ...ok, object_metadata: { sku: 'R1', priority: ['high'] } }, 400],
        ['object_metadata nested too deep', bucket, { ...ok, object_metadata: { sku: 'R1', a: { b: { c: { d: { e: [1] } } } } } }, 400],
        ['object_metadata too large', bucket, { ...ok, object_metadata: { sku: 'R1', tags: Array.from({ length: 100 }, () => 'x'.repeat(2000)) } }, 400],
        ['metadata nested too deep', bucket, { ...ok, metadata: { a: [[[[[1]]]]] } }, 400],
        ['presigned_url_expiration under 60', bucket, { ...ok, presigned_url_expiration: 30 }, 422],
        ['presigned_url_expiration over 86400', bucket, { ...ok, presigned_url_expiration: 90000 }, 422],
        ['file_hash not 64 hex', bucket, { ...ok, file_hash: 'abc' }, 422],
        ['no filename', bucket, { ...ok, filename: undefined }, 422],
        ['no content_type', bucket, { ...ok, content_type: undefined }, 422],
      ];
      for (const [what, b, json, status, headers] of cases) {
        const res = await call('POST', `/buckets/${b}/uploads`, json, headers);
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.deepEqual([res.body.success, res.body.status, typeof res.body.error.message, typeof res.body.error.type], [false, status, 'string', 'string'], what);
      }
      // Quota: a namespace with 1 KiB left refuses a larger file before signing.
      const small = await t.tenant({ quota_bytes: 1024 });
      const smallBucket = (await t.api('POST', '/v1/buckets', { key: small.key, json: { name: 'b', schema: SCHEMA } })).body.data.id;
      const quota = await fetch(`${API()}/buckets/${smallBucket}/uploads`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${small.key}`, 'X-Namespace': small.namespaceId, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...ok, file_size: 4096 }),
      });
      assert.equal(quota.status, 403);
      // Tenant isolation: another namespace's bucket is not found.
      assert.equal((await call('POST', `/buckets/${smallBucket}/uploads`, ok)).status, 404);
      // Keys: the admin key 403, an unknown one 401.
      assert.equal((await call('POST', `/buckets/${bucket}/uploads`, ok, { Authorization: `Bearer ${ADMIN_KEY}` })).status, 403);
      assert.equal((await call('POST', `/buckets/${bucket}/uploads`, ok, { Authorization: `Bearer sk_${'x'.repeat(40)}` })).status, 401);
      // Other routes: unknown ids are 404s, bad bodies 422s, never a 5xx.
      assert.equal((await call('GET', '/uploads/upl_nope')).status, 404);
      assert.equal((await call('GET', '/tasks/task_nope')).status, 404);
      assert.equal((await call('POST', '/uploads/upl_nope/confirm', {})).status, 404);
      assert.equal((await call('POST', `/buckets/${bucket}/uploads/${first.upload_id}/confirm`, { etag: 5 })).status, 422);
      assert.equal((await call('POST', `/buckets/${noSchema}/uploads/${first.upload_id}/confirm`, {})).status, 404);
      assert.equal((await call('POST', `/buckets/${bucket}/objects`, { upload_ids: ['upl_nope'] })).status, 404);
      assert.equal((await call('POST', `/buckets/${bucket}/objects`, { upload_ids: [first.upload_id] })).status, 409);
      assert.equal((await call('POST', `/buckets/${bucket}/objects`, {})).status, 400);

      const afterNs = (await t.api('GET', '/v1/usage', { key })).body.data;
      assert.deepEqual([afterNs.reserved_bytes, afterNs.stored_bytes], [before.reserved_bytes, before.stored_bytes]);
      assert.equal((await t.api('GET', '/v1/uploads?status=pending', { key })).body.data.length, open, 'no session was made');
      assert.deepEqual(await store.objects(t), objects, 'nothing was stored');
    });
  });
}

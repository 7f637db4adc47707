/**
 * The multipart verbs of the ObjectStorage contract, for every driver: call
 * multipartContract() from a driver's test file with a factory that opens a fresh, empty
 * store and says how a client sends a part to it (a presigned URL, or the local driver's
 * own receiving path).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MultipartNotFoundError, type ObjectStorage } from '../../src/storage/object-storage.js';
import { readAll, sha256 } from './storage-contract.js';

export interface MultipartHarness {
  storage: ObjectStorage;
  /** Sends one part as a client would; returns its ETag. */
  putPart(key: string, multipartId: string, partNumber: number, bytes: Buffer): Promise<string>;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

async function openIds(storage: ObjectStorage): Promise<string[]> {
  const ids: string[] = [];
  for await (const mp of storage.listMultipart()) ids.push(`${mp.key}#${mp.multipartId}`);
  return ids;
}

/** Distinct, recognisable bytes per part. */
const partBytes = (n: number, size: number) => Buffer.alloc(size, 0x40 + n);

export function multipartContract(name: string, open: () => Promise<MultipartHarness>): void {
  describe(`multipart contract: ${name}`, () => {
    let h: MultipartHarness;
    before(async () => {
      h = await open();
    });
    after(() => h.close());

    it('parts sent out of order are listed in order and joined into the object', async () => {
      const key = 'ns_mp/upl_joined/original';
      const id = await h.storage.createMultipart(key, { contentType: 'text/plain' });
      assert.deepEqual(await h.storage.listParts(key, id), []);
      assert.ok((await openIds(h.storage)).includes(`${key}#${id}`));
      const p2 = partBytes(2, 1000);
      const p1 = partBytes(1, 5 * MIB);
      const e2 = await h.putPart(key, id, 2, p2);
      const e1 = await h.putPart(key, id, 1, p1);
      const listed = await h.storage.listParts(key, id);
      assert.deepEqual(listed.map((p) => [p.partNumber, p.size]), [[1, p1.length], [2, p2.length]]);
      assert.deepEqual(listed.map((p) => p.etag.replace(/"/g, '')), [e1, e2].map((e) => e.replace(/"/g, '')));

      const joined = await h.storage.completeMultipart(key, id, listed.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
      const whole = Buffer.concat([p1, p2]);
      assert.equal(joined.size, whole.length);
      if (joined.sha256 !== undefined) assert.equal(joined.sha256, sha256(whole));
      assert.equal((await h.storage.head(key))?.size, whole.length);
      assert.equal(sha256(await readAll(await h.storage.read(key))), sha256(whole));
      await assert.rejects(h.storage.listParts(key, id), MultipartNotFoundError);
      assert.ok(!(await openIds(h.storage)).some((x) => x.endsWith(`#${id}`)));
      await h.storage.delete(key);
    });

    it('a part sent again replaces the first copy', async () => {
      const key = 'ns_mp/upl_resent/original';
      const id = await h.storage.createMultipart(key, { contentType: 'text/plain' });
      await h.putPart(key, id, 1, partBytes(7, 100));
      const second = await h.putPart(key, id, 1, partBytes(1, 200));
      const listed = await h.storage.listParts(key, id);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.size, 200);
      assert.equal(listed[0]!.etag.replace(/"/g, ''), second.replace(/"/g, ''));
      await h.storage.completeMultipart(key, id, [{ partNumber: 1, etag: listed[0]!.etag }]);
      assert.deepEqual(await readAll(await h.storage.read(key)), partBytes(1, 200));
      await h.storage.delete(key);
    });

    it('abort removes every part; aborting again, or an unknown id, is not an error', async () => {
      const key = 'ns_mp/upl_aborted/original';
      const id = await h.storage.createMultipart(key, { contentType: 'text/plain' });
      await h.putPart(key, id, 1, partBytes(1, 100));
      await h.storage.abortMultipart(key, id);
      await assert.rejects(h.storage.listParts(key, id), MultipartNotFoundError);
      assert.ok(!(await openIds(h.storage)).some((x) => x.endsWith(`#${id}`)));
      assert.equal(await h.storage.head(key), null);
      await h.storage.abortMultipart(key, id);
      await h.storage.abortMultipart(key, 'a'.repeat(24));
    });

    it('a multipart id belongs to its key', async () => {
      const key = 'ns_mp/upl_owner/original';
      const id = await h.storage.createMultipart(key, { contentType: 'text/plain' });
      await assert.rejects(h.storage.listParts('ns_mp/upl_other/original', id), MultipartNotFoundError);
      await h.storage.abortMultipart('ns_mp/upl_other/original', id);
      assert.deepEqual(await h.storage.listParts(key, id), []);
      await h.storage.abortMultipart(key, id);
    });
  });
}

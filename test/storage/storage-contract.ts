/**
 * The ObjectStorage contract, for every driver: call storageContract() from a driver's
 * test file with a factory that opens a fresh, empty store (see local-storage.test.ts).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  ObjectAbortedError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  type ObjectStorage,
  type WriteOptions,
} from '../../src/storage/object-storage.js';

export interface StorageHarness {
  storage: ObjectStorage;
  /** Every stored object's key. */
  keys(): Promise<string[]>;
  /** Anything a failed write could leave behind (temp files, unfinished uploads). */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** `buf` as a stream of `chunk`-byte pieces, like a request body. */
export function bodyOf(buf: Buffer, chunk = 64 * 1024): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) pieces.push(buf.subarray(i, i + chunk));
  return Readable.from(pieces, { objectMode: false });
}

/** A body that sends `bytes` and then fails, like a client that went away. */
export function failingBody(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return this.destroy(new Error('client went away'));
      sent = true;
      this.push(randomBytes(bytes));
    },
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const opts = (maxSize: number, more: Partial<WriteOptions> = {}): WriteOptions => ({ maxSize, contentType: 'application/octet-stream', ...more });

export function storageContract(name: string, open: () => Promise<StorageHarness>): void {
  describe(`storage contract: ${name}`, () => {
    let h: StorageHarness | undefined;
    let n = 0;
    before(async () => {
      h = await open();
    });
    after(() => h?.close());
    const s = () => h!.storage;
    /** A key no other test uses. */
    const key = (leaf = 'original') => `ns${process.pid}/t${++n}/${leaf}`;
    const assertClean = async (k: string) => {
      assert.equal(await s().head(k), null, `nothing at ${k}`);
      assert.ok(!(await h!.keys()).includes(k), `${k} not listed`);
      assert.deepEqual(await h!.leftovers(), [], 'no leftovers');
    };

    it('write() streams the body and returns size, sha256 and an etag that head() agrees with', async () => {
      const k = key();
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const written = await s().write(k, bodyOf(bytes), opts(bytes.length));
      assert.equal(written.size, bytes.length);
      assert.equal(written.sha256, sha256(bytes));
      assert.ok(written.etag.length > 0);
      assert.deepEqual(await s().head(k), { size: bytes.length, etag: written.etag });
      assert.deepEqual(await readAll(await s().read(k)), bytes);
      assert.deepEqual(await h!.leftovers(), []);
    });

    it('write() of an empty body stores an empty object', async () => {
      const k = key();
      const written = await s().write(k, bodyOf(Buffer.alloc(0)), opts(10));
      assert.equal(written.size, 0);
      assert.equal(written.sha256, sha256(Buffer.alloc(0)));
      assert.equal((await s().head(k))?.size, 0);
      assert.equal((await readAll(await s().read(k))).length, 0);
    });

    it('read() serves an inclusive byte range', async () => {
      const k = key();
      const bytes = Buffer.from('0123456789abcdef');
      await s().write(k, bodyOf(bytes), opts(100));
      assert.equal((await readAll(await s().read(k, { start: 2, end: 5 }))).toString(), '2345');
      assert.equal((await readAll(await s().read(k, { start: 0, end: 0 }))).toString(), '0');
      assert.equal((await readAll(await s().read(k, { start: 10, end: 15 }))).toString(), 'abcdef');
    });

    it('read() of a missing object rejects with ObjectNotFoundError; head() is null', async () => {
      const k = key();
      await assert.rejects(s().read(k), ObjectNotFoundError);
      await assert.rejects(s().read(k, { start: 0, end: 1 }), ObjectNotFoundError);
      assert.equal(await s().head(k), null);
    });

    it('a key below an existing object is missing, not an error', async () => {
      const k = key('file');
      await s().write(k, bodyOf(Buffer.from('x')), opts(10));
      await assert.rejects(s().read(`${k}/deeper`), ObjectNotFoundError);
      assert.equal(await s().head(`${k}/deeper`), null);
    });

    it(
      'a key that is only a prefix of other objects is missing',
      async () => {
        const k = key('file');
        await s().write(k, bodyOf(Buffer.from('x')), opts(10));
        const folder = k.slice(0, k.lastIndexOf('/'));
        assert.equal(await s().head(folder), null);
        await assert.rejects(async () => readAll(await s().read(folder)), ObjectNotFoundError);
      },
    );

    it('write() accepts exactly maxSize bytes and rejects one more, leaving nothing', async () => {
      const k = key();
      assert.equal((await s().write(k, bodyOf(randomBytes(1000)), opts(1000))).size, 1000);
      const k2 = key();
      await assert.rejects(s().write(k2, bodyOf(randomBytes(1001)), opts(1000)), (err) => err instanceof ObjectTooLargeError && err.limit === 1000);
      await assertClean(k2);
    });

    it('write() stops an oversize stream mid-way and keeps the previous object', async () => {
      const k = key();
      const before = Buffer.from('previous');
      await s().write(k, bodyOf(before), opts(100));
      await assert.rejects(s().write(k, bodyOf(randomBytes(8 * 1024 * 1024)), opts(1024 * 1024)), ObjectTooLargeError);
      assert.deepEqual(await readAll(await s().read(k)), before);
      assert.deepEqual(await h!.leftovers(), []);
    });

    it('a body that fails mid-way rejects with ObjectAbortedError and leaves nothing', async () => {
      const k = key();
      await assert.rejects(s().write(k, failingBody(200 * 1024), opts(10 * 1024 * 1024)), ObjectAbortedError);
      await assertClean(k);
    });

    it('around() sees the size and hash before the object is visible, and publish() shows it', async () => {
      const k = key();
      const bytes = randomBytes(5000);
      let seen: { size: number; sha256: string; etag: string } | undefined;
      const written = await s().write(k, bodyOf(bytes), opts(5000, {
        around: async (w, publish) => {
          seen = w;
          assert.equal(await s().head(k), null, 'not visible before publish()');
          const info = await publish();
          assert.equal(info.size, 5000);
          assert.equal(info.etag, w.etag, 'the ETag announced before publishing is the one the object gets');
          assert.deepEqual(await s().head(k), info);
        },
      }));
      assert.deepEqual({ ...seen, etag: undefined }, { size: 5000, sha256: sha256(bytes), etag: undefined });
      assert.equal(written.sha256, sha256(bytes));
      assert.deepEqual(await readAll(await s().read(k)), bytes);
    });

    it('an around() that throws before publishing discards the bytes and keeps the previous object', async () => {
      const fresh = key();
      const boom = new Error('database said no');
      await assert.rejects(s().write(fresh, bodyOf(randomBytes(100)), opts(100, { around: async () => { throw boom; } })), (err) => err === boom);
      await assertClean(fresh);

      const k = key();
      const previous = Buffer.from('the old bytes');
      const old = await s().write(k, bodyOf(previous), opts(100));
      await assert.rejects(s().write(k, bodyOf(randomBytes(50)), opts(100, { around: async () => { throw boom; } })), (err) => err === boom);
      assert.deepEqual(await readAll(await s().read(k)), previous);
      assert.deepEqual(await s().head(k), { size: previous.length, etag: old.etag });
      assert.deepEqual(await h!.leftovers(), []);
    });

    it('an around() that never publishes rejects and leaves nothing', async () => {
      const k = key();
      await assert.rejects(s().write(k, bodyOf(randomBytes(100)), opts(100, { around: async () => undefined })));
      await assertClean(k);
    });

    it('overwriting replaces the object whole; readers see old or new, never a mix', async () => {
      const k = key();
      const first = Buffer.alloc(4096, 'a');
      const second = Buffer.alloc(1000, 'b');
      const one = await s().write(k, bodyOf(first), opts(10_000));
      const two = await s().write(k, bodyOf(second), opts(10_000, {
        around: async (_w, publish) => {
          assert.deepEqual(await readAll(await s().read(k)), first, 'old bytes until publish()');
          await publish();
        },
      }));
      assert.notEqual(two.etag, one.etag);
      assert.deepEqual(await readAll(await s().read(k)), second);
      assert.deepEqual(await s().head(k), { size: 1000, etag: two.etag });
    });

    it('list() yields every object under a prefix with its size, and nothing outside it', async () => {
      const a = key('a');
      const b = key('b');
      const elsewhere = key('c');
      await s().write(a, bodyOf(Buffer.alloc(3)), opts(10));
      await s().write(b, bodyOf(Buffer.alloc(5)), opts(10));
      await s().write(elsewhere, bodyOf(Buffer.alloc(7)), opts(10));
      const listed = new Map<string, number>();
      for await (const o of s().list(a.slice(0, a.lastIndexOf('/') + 1))) listed.set(o.key, o.size);
      assert.deepEqual([...listed.entries()], [[a, 3]]);
      const all: string[] = [];
      for await (const o of s().list()) {
        all.push(o.key);
        assert.ok(o.lastModified instanceof Date && !Number.isNaN(o.lastModified.getTime()));
      }
      for (const k of [a, b, elsewhere]) assert.ok(all.includes(k), k);
      assert.deepEqual(await collect(s().list('no-such-prefix/')), []);
    });

    it('delete() removes an object; a missing object is not an error', async () => {
      const k = key();
      await s().write(k, bodyOf(Buffer.from('x')), opts(10));
      await s().delete(k);
      assert.equal(await s().head(k), null);
      await s().delete(k);
      await s().delete(key('never-written'));
    });

    it('deletePrefix() removes everything under prefix/ and nothing beside it', async () => {
      const base = key('asset');
      const inside = [`${base}/original`, `${base}/thumbs/small.webp`, `${base}/thumbs/large.webp`];
      const beside = [`${base}2/original`, `${base.slice(0, base.lastIndexOf('/'))}/other`];
      for (const k of [...inside, ...beside]) await s().write(k, bodyOf(Buffer.from(k)), opts(1000));
      await s().deletePrefix(base);
      for (const k of inside) assert.equal(await s().head(k), null, `${k} deleted`);
      for (const k of beside) assert.ok(await s().head(k), `${k} kept`);
      await s().deletePrefix(base);
      await s().deletePrefix(key('never-written'));
    });

    it('refuses invalid keys', async () => {
      for (const bad of ['../x', '/abs', 'a//b', 'a/../b', './a', 'a/', '', 'a/./b', 'a\\b']) {
        await assert.rejects(s().write(bad, bodyOf(Buffer.from('x')), opts(10)), `write(${JSON.stringify(bad)})`);
        await assert.rejects(s().read(bad), `read(${JSON.stringify(bad)})`);
      }
      assert.deepEqual(await h!.leftovers(), []);
    });
  });
}

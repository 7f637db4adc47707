/** The storage contract on local disk, plus what only the local driver promises. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalDiskStorage, POST_FIELDS, TEMP_STALE_MS } from '../../src/storage/local.js';
import type { SignedFields } from '../../src/storage/signed-url.js';
import { multipartContract } from './multipart-contract.js';
import { bodyOf, readAll, sha256, storageContract, type StorageHarness } from './storage-contract.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const SECRET = 'local-storage-test-secret-0123456789abcdef';

/** Relative paths of every file under `dir` (none if it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

async function openLocal(): Promise<StorageHarness & { root: string; local: LocalDiskStorage }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-storage-'));
  const local = new LocalDiskStorage(root, PUBLIC_URL, SECRET);
  await local.init();
  return {
    root,
    local,
    storage: local,
    keys: () => filesUnder(path.join(root, 'objects')),
    leftovers: () => filesUnder(path.join(root, 'tmp')),
    close: () => fs.rm(root, { recursive: true, force: true }),
  };
}

storageContract('local disk', openLocal);

multipartContract('local disk', async () => {
  const h = await openLocal();
  return {
    storage: h.local,
    putPart: async (key, id, n, bytes) => (await h.local.writePart(key, id, n, bodyOf(bytes), { maxSize: bytes.length, contentType: 'application/octet-stream' })).etag,
    close: h.close,
  };
});

describe('local disk driver', () => {
  let h: Awaited<ReturnType<typeof openLocal>>;
  before(async () => {
    h = await openLocal();
  });
  after(() => h.close());
  const write = (key: string, text = key) => h.local.write(key, bodyOf(Buffer.from(text)), { maxSize: 1000, contentType: 'text/plain' });
  const exists = (p: string) => fs.stat(path.join(h.root, p)).then(() => true, () => false);

  it('keeps objects at <root>/objects/<key> and says so through localPath()', async () => {
    await write('ns/a/original', 'hello');
    assert.equal(h.local.localPath('ns/a/original'), path.join(h.root, 'objects', 'ns/a/original'));
    assert.equal(await fs.readFile(path.join(h.root, 'objects/ns/a/original'), 'utf8'), 'hello');
  });

  it('delete() prunes folders left empty, up to but not including the objects root', async () => {
    await write('p1/a/b/c.bin');
    await write('p1/a/other.bin');
    await h.local.delete('p1/a/b/c.bin');
    assert.equal(await exists('objects/p1/a/b'), false);
    assert.equal(await exists('objects/p1/a/other.bin'), true);
    await h.local.delete('p1/a/other.bin');
    assert.equal(await exists('objects/p1'), false);
    assert.equal(await exists('objects'), true);
  });

  it('deletePrefix() removes the folder and prunes empty parents', async () => {
    await write('p2/asset/original');
    await write('p2/asset/thumbs/x.webp');
    await write('p2/asset2/original');
    await h.local.deletePrefix('p2/asset');
    assert.equal(await exists('objects/p2/asset'), false);
    assert.equal(await exists('objects/p2/asset2/original'), true);
    await h.local.deletePrefix('p2/asset2');
    assert.equal(await exists('objects/p2'), false);
    assert.equal(await exists('objects'), true);
  });

  it('a key never reaches outside the objects folder', async () => {
    const outside = path.join(h.root, 'outside.txt');
    await fs.writeFile(outside, 'keep me');
    for (const bad of ['../outside.txt', outside, 'a/../../outside.txt', '..']) {
      await assert.rejects(write(bad, 'overwritten'));
      await assert.rejects(h.local.read(bad));
      await h.local.delete(bad);
      await h.local.deletePrefix(bad);
      assert.throws(() => h.local.localPath(bad));
    }
    assert.equal(await fs.readFile(outside, 'utf8'), 'keep me');
    assert.equal(await exists('objects'), true);
    assert.equal(await exists('tmp'), true);
  });

  it('a deferred write is published at once; sync() makes it durable and tells whether it was written before the machine started', async () => {
    const written = await h.local.write('ns/deferred/original', bodyOf(Buffer.from('late sync')), { maxSize: 100, contentType: 'text/plain', deferSync: true });
    assert.equal(written.sha256, sha256(Buffer.from('late sync')));
    assert.equal(await fs.readFile(path.join(h.root, 'objects/ns/deferred/original'), 'utf8'), 'late sync');
    assert.deepEqual(await h.local.head('ns/deferred/original'), { size: 9, etag: written.etag });
    assert.equal(await h.local.sync('ns/deferred/original'), true, 'written since the machine started');
    // A file last written before the machine started: whatever was not on disk then is gone.
    const beforeBoot = new Date(Date.now() - os.uptime() * 1000 - 60_000);
    await fs.utimes(path.join(h.root, 'objects/ns/deferred/original'), beforeBoot, beforeBoot);
    assert.equal(await h.local.sync('ns/deferred/original'), false);
    await assert.rejects(h.local.sync('ns/none/original'), { name: 'ObjectNotFoundError' });
  });

  it('init() removes temp files a crash left (untouched for an hour), keeps live ones and the objects', async () => {
    await write('p3/kept');
    const crashed = path.join(h.root, 'tmp', 'crashed.part');
    await fs.writeFile(crashed, 'half');
    const old = new Date(Date.now() - TEMP_STALE_MS - 60_000);
    await fs.utimes(crashed, old, old);
    // Another process's upload in progress: written to a moment ago.
    await fs.writeFile(path.join(h.root, 'tmp', 'live.part'), 'arriving');
    await h.local.init();
    assert.deepEqual(await h.leftovers(), ['live.part']);
    await fs.rm(path.join(h.root, 'tmp', 'live.part'));
    assert.equal((await readAll(await h.local.read('p3/kept'))).toString(), 'p3/kept');
  });

  describe('signed URLs', () => {
    const expiresAt = new Date(Date.UTC(2030, 0, 1, 12));
    const expiresMs = Math.floor(expiresAt.getTime() / 1000) * 1000;
    const upload = { contentType: 'image/png', maxSize: 5000, expiresAt, uploadId: 'upl_abc' };
    const keyOf = (url: URL) => url.pathname.replace(/^\/files\//, '').split('/').map(decodeURIComponent).join('/');

    function putFields(url: URL, contentType: string): SignedFields {
      const q = url.searchParams;
      return { method: 'PUT', key: keyOf(url), expires: Number(q.get('expires')), contentType, maxSize: Number(q.get('max')), uploadId: q.get('upload') ?? '' };
    }

    it('presignPut() URLs verify, and fail when tampered with or expired', async () => {
      const put = await h.local.presignPut('ns/upl_abc/original', upload);
      const url = new URL(put.url);
      assert.equal(`${url.origin}${url.pathname}`, `${PUBLIC_URL}/files/ns/upl_abc/original`);
      assert.equal(put.headers['Content-Type'], 'image/png');
      const fields = putFields(url, 'image/png');
      const sig = url.searchParams.get('sig') ?? '';
      assert.equal(fields.key, 'ns/upl_abc/original');
      assert.equal(h.local.verifySignature(fields, sig, expiresMs - 60_000), 'ok');
      assert.equal(h.local.verifySignature(fields, sig, expiresMs), 'ok');
      assert.equal(h.local.verifySignature(fields, sig, expiresMs + 1), 'expired');
      const now = expiresMs - 60_000;
      assert.equal(h.local.verifySignature({ ...fields, maxSize: 5001 }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, expires: fields.expires + 3600 }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, uploadId: 'upl_other' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, contentType: 'text/html' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, key: 'ns/upl_abc/other' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, method: 'POST' }, sig, now), 'bad_signature');
    });

    it('presignPost() fields verify as a POST, not as a PUT', async () => {
      const post = await h.local.presignPost('ns/upl_abc/original', upload);
      assert.equal(post.url, `${PUBLIC_URL}/files/ns/upl_abc/original`);
      const f = post.fields;
      const fields: SignedFields = {
        method: 'POST', key: 'ns/upl_abc/original', expires: Number(f[POST_FIELDS.expires]), contentType: f['Content-Type'],
        maxSize: Number(f[POST_FIELDS.maxSize]), uploadId: f[POST_FIELDS.upload],
      };
      const sig = f[POST_FIELDS.signature] ?? '';
      assert.equal(h.local.verifySignature(fields, sig, expiresMs - 1000), 'ok');
      assert.equal(h.local.verifySignature({ ...fields, method: 'PUT' }, sig, expiresMs - 1000), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, maxSize: 1e9 }, sig, expiresMs - 1000), 'bad_signature');
      assert.equal(h.local.verifySignature(fields, sig, expiresMs + 1000), 'expired');
    });

    it('presignGet() URLs bind type, disposition and filename', async () => {
      const raw = await h.local.presignGet('ns/med_1/original', { expiresAt, contentType: 'image/png', filename: 'a b.png', disposition: 'inline' });
      const url = new URL(raw);
      const q = url.searchParams;
      const fields: SignedFields = {
        method: 'GET', key: keyOf(url), expires: Number(q.get('expires')),
        contentType: q.get('type') ?? '', disposition: q.get('disposition') ?? '', filename: q.get('filename') ?? '',
      };
      assert.deepEqual([fields.key, fields.contentType, fields.disposition, fields.filename], ['ns/med_1/original', 'image/png', 'inline', 'a b.png']);
      const sig = q.get('sig') ?? '';
      const now = expiresMs - 1000;
      assert.equal(h.local.verifySignature(fields, sig, now), 'ok');
      assert.equal(h.local.verifySignature({ ...fields, contentType: 'text/html' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, disposition: 'attachment' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, filename: 'evil.html' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature({ ...fields, method: 'PUT' }, sig, now), 'bad_signature');
      assert.equal(h.local.verifySignature(fields, `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, now), 'bad_signature');
      assert.equal(h.local.verifySignature(fields, sig, expiresMs + 1), 'expired');
      const other = new LocalDiskStorage(h.root, PUBLIC_URL, 'another-secret-0123456789abcdefghij');
      assert.equal(other.verifySignature(fields, sig, now), 'bad_signature');
    });
  });
});

describe('local disk multipart uploads', () => {
  it('start-up removes stale part temp files a crash left, keeps the parts, and an oversize part leaves nothing', async () => {
    const h = await openLocal();
    try {
      const key = 'ns_x/upl_crash/original';
      const id = await h.local.createMultipart(key);
      await h.local.writePart(key, id, 1, bodyOf(Buffer.alloc(100, 1)), { maxSize: 100, contentType: 'text/plain' });
      await assert.rejects(h.local.writePart(key, id, 2, bodyOf(Buffer.alloc(101, 2)), { maxSize: 100, contentType: 'text/plain' }), /larger than 100/);
      const dir = path.join(h.root, 'multipart', id);
      const kept = (await fs.readdir(dir)).sort();
      assert.deepEqual(kept.filter((n) => !n.startsWith('sha-')), ['key', 'part-00001']);
      await fs.writeFile(path.join(dir, 'tmp-halfwritten'), 'x');
      await fs.mkdir(path.join(h.root, 'multipart', 'tmp-unfinishedcreate'));
      const restarted = new LocalDiskStorage(h.root, PUBLIC_URL, SECRET);
      // A fresh temp file may belong to another live process: only stale ones go.
      await restarted.init();
      assert.ok((await fs.readdir(dir)).includes('tmp-halfwritten'));
      // Once untouched for longer than the staleness limit, they go.
      const past = new Date(Date.now() - 2 * 3600_000);
      await fs.utimes(path.join(dir, 'tmp-halfwritten'), past, past);
      await fs.utimes(path.join(h.root, 'multipart', 'tmp-unfinishedcreate'), past, past);
      await restarted.init();
      assert.deepEqual((await fs.readdir(dir)).sort(), kept);
      assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), [id]);
      assert.deepEqual((await restarted.listParts(key, id)).map((p) => [p.size, p.etag]), [[100, `"${sha256(Buffer.alloc(100, 1))}"`]]);
    } finally {
      await h.close();
    }
  });
});

describe('local disk multipart join across a crash', () => {
  const key = 'ns_x/upl_join/original';
  const partA = Buffer.alloc(100, 1);
  const partB = Buffer.alloc(50, 2);
  const whole = Buffer.concat([partA, partB]);
  const choice = (parts: { partNumber: number; etag: string }[]) => parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));

  async function withParts(h: Awaited<ReturnType<typeof openLocal>>) {
    const id = await h.local.createMultipart(key);
    await h.local.writePart(key, id, 1, bodyOf(partA), { maxSize: 100, contentType: 'text/plain' });
    await h.local.writePart(key, id, 2, bodyOf(partB), { maxSize: 100, contentType: 'text/plain' });
    return { id, dir: path.join(h.root, 'multipart', id), parts: choice(await h.local.listParts(key, id)) };
  }

  it('a complete retried after a crash at any point of the join finishes it or finds the object, and nothing is left', async () => {
    const h = await openLocal();
    try {
      // 1. Killed mid-concatenation: a temp file in the whole folder; the retry joins again.
      let { id, dir, parts } = await withParts(h);
      await fs.writeFile(path.join(dir, 'tmp-halfjoined'), partA.subarray(0, 10));
      assert.equal((await h.local.completeMultipart(key, id, parts)).size, 150);
      assert.deepEqual(await readAll(await h.local.read(key)), whole);
      await h.local.delete(key);

      // 2. Killed after the object was renamed into place, before the folder was retired:
      // the whole folder is still there, the retry joins again to the same object.
      ({ id, dir, parts } = await withParts(h));
      const copy = path.join(h.root, 'copy');
      await fs.cp(dir, copy, { recursive: true });
      await h.local.completeMultipart(key, id, parts);
      assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), [], 'a finished join leaves no folder');
      await fs.rename(copy, dir);
      assert.equal((await h.local.completeMultipart(key, id, parts)).sha256, sha256(whole));
      assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), []);

      // 3. Killed after the folder was renamed to its marked name, mid-removal (key gone
      // first, or parts gone first): under its id there is nothing, the object is there.
      for (const removedFirst of [['key'], ['part-00001']]) {
        ({ id, dir, parts } = await withParts(h));
        await h.local.completeMultipart(key, id, parts);
        // Re-create the state the crash would leave: the marked folder, partly emptied.
        const gone = path.join(h.root, 'multipart', `gone-${Date.now()}-${id}`);
        await fs.mkdir(gone);
        for (const n of ['key', 'part-00001', 'part-00002']) if (!removedFirst.includes(n)) await fs.writeFile(path.join(gone, n), n === 'key' ? key : 'x');
        await assert.rejects(h.local.listParts(key, id), { name: 'MultipartNotFoundError' });
        assert.ok(await h.local.head(key), 'the retry finds the joined object (assembleParts records it)');
        // Fresh: another live process may be removing it; reconciliation and start-up leave it.
        const seen = [];
        for await (const mp of h.local.listMultipart()) seen.push(mp);
        assert.deepEqual(seen, []);
        await h.local.init();
        assert.ok((await fs.readdir(path.join(h.root, 'multipart'))).includes(path.basename(gone)));
        // Stale: the marked folder goes (its name says when it was retired).
        const stale = path.join(h.root, 'multipart', `gone-${Date.now() - 2 * TEMP_STALE_MS}-${id}`);
        await fs.rename(gone, stale);
        if (removedFirst[0] === 'key') {
          for await (const _ of h.local.listMultipart());
        } else {
          await h.local.init();
        }
        assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), []);
      }

      // 4. An older version's crash mid-rm: a key-less folder under its id. Invisible to
      // listings, removed once stale by start-up and by reconciliation's listing.
      for (const via of ['init', 'list'] as const) {
        ({ id, dir, parts } = await withParts(h));
        await fs.rm(path.join(dir, 'key'));
        const seen = [];
        for await (const mp of h.local.listMultipart()) seen.push(mp);
        assert.deepEqual(seen, []);
        await h.local.init();
        assert.ok((await fs.readdir(path.join(h.root, 'multipart'))).includes(id), 'a fresh key-less folder may be a live removal');
        const past = new Date(Date.now() - 2 * TEMP_STALE_MS);
        await fs.utimes(dir, past, past);
        if (via === 'init') await h.local.init();
        else for await (const _ of h.local.listMultipart());
        assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), []);
      }

      // 5. Abort retires the folder the same way.
      ({ id, dir, parts } = await withParts(h));
      await h.local.abortMultipart(key, id);
      assert.deepEqual(await fs.readdir(path.join(h.root, 'multipart')), []);
      await h.local.delete(key);
      assert.deepEqual(await h.keys(), []);
      assert.deepEqual(await h.leftovers(), []);
    } finally {
      await h.close();
    }
  });
});

/** Assets and blobs repository contracts; run by repositories.test.ts on every dialect. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUniqueViolation } from '../../../src/db/database.js';
import type { Store } from '../../../src/db/repositories/index.js';
import { addNamespace, assetRow, at, blobRow, GIB } from '../../helpers/rows.js';
import { allPages } from './uploads.js';

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

export function assetsContract(s: () => Store): void {
  describe('assets', () => {
    it('finds, updates and deletes an asset only within its namespace', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      const row = assetRow(ns, { filesize: 6 * GIB, bitrate: 8_000_000_000, duration: 12.345, fps: 29.97, width: 1920, height: 1080 });
      await s().assets.insert(row);
      const found = await s().assets.find(ns, row.id);
      assert.equal(found?.filesize, 6 * GIB);
      assert.equal(typeof found?.filesize, 'number');
      assert.equal(found?.bitrate, 8_000_000_000);
      assert.equal(found?.duration, 12.345);
      assert.equal(found?.fps, 29.97);
      assert.equal(found?.width, 1920);
      assert.equal(found?.alias, null);
      assert.equal(await s().assets.find(other, row.id), undefined);

      assert.equal(await s().assets.update(other, row.id, { title: 'stolen' }), false);
      assert.equal((await s().assets.find(ns, row.id))?.title, null);
      assert.equal(await s().assets.update(ns, row.id, { title: 'Mine', metadata: '{"a":1}', updated_at: at(5) }), true);
      const updated = await s().assets.find(ns, row.id);
      assert.equal(updated?.title, 'Mine');
      assert.equal(updated?.metadata, '{"a":1}');
      assert.equal(updated?.updated_at, at(5));
      assert.equal(await s().assets.update(ns, 'med_missing', { title: 'x' }), false);

      assert.equal(await s().assets.delete(other, row.id), false);
      assert.ok(await s().assets.find(ns, row.id));
      assert.equal(await s().assets.delete(ns, row.id), true);
      assert.equal(await s().assets.find(ns, row.id), undefined);
      assert.equal(await s().assets.delete(ns, row.id), false);
    });

    it('finds a derivative by its file name in one query, only under its own asset and namespace', async () => {
      const ns = await addNamespace(s());
      const row = assetRow(ns);
      const other = assetRow(ns);
      await s().assets.insert(row);
      await s().assets.insert(other);
      const key = `${ns}/${row.id}/t/abc123.webp`;
      assert.equal(await s().derivatives.insert({ storage_key: key, asset_id: row.id, namespace_id: ns, mimetype: 'image/webp', size: 1234, created_at: at(1) }), true);
      const found = await s().derivatives.findByFile(row.id, 'abc123.webp');
      assert.equal(found?.storage_key, key);
      assert.equal(found?.size, 1234);
      assert.equal(await s().derivatives.findByFile(row.id, 'abc123.avif'), undefined);
      assert.equal(await s().derivatives.findByFile(other.id, 'abc123.webp'), undefined, 'another asset’s name is not this one’s file');
      assert.equal(await s().derivatives.deleteForAsset(row.id), 1234);
      assert.equal(await s().derivatives.findByFile(row.id, 'abc123.webp'), undefined);
    });

    it('an alias is unique per namespace; NULL aliases never collide', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      await s().assets.insert(assetRow(ns, { alias: 'logo' }));
      await assert.rejects(s().assets.insert(assetRow(ns, { alias: 'logo' })), (err) => isUniqueViolation(err));
      await s().assets.insert(assetRow(other, { alias: 'logo' }));
      await s().assets.insert(assetRow(ns, { alias: null }));
      await s().assets.insert(assetRow(ns, { alias: null }));
      const renamed = assetRow(ns, { alias: 'banner' });
      await s().assets.insert(renamed);
      await assert.rejects(s().assets.update(ns, renamed.id, { alias: 'logo' }), (err) => isUniqueViolation(err));
      assert.equal((await s().assets.find(ns, renamed.id))?.alias, 'banner');
    });

    it('aliases are unique by their folded key (case, NFC/NFD, full-width), kept as typed, found by any spelling', async () => {
      const ns = await addNamespace(s());
      const logo = assetRow(ns, { alias: 'Logo' });
      await s().assets.insert(logo);
      for (const alias of ['logo', 'LOGO', '\uff2c\uff4f\uff47\uff4f']) {
        await assert.rejects(s().assets.insert(assetRow(ns, { alias })), (err) => isUniqueViolation(err), alias);
        assert.equal((await s().assets.findByAlias(ns, alias))?.id, logo.id, alias);
      }
      await s().assets.insert(assetRow(ns, { alias: 'Caf\u00e9' }));
      await assert.rejects(s().assets.insert(assetRow(ns, { alias: 'CAFE\u0301' })), (err) => isUniqueViolation(err));
      const other = assetRow(ns, { alias: 'other' });
      await s().assets.insert(other);
      await assert.rejects(s().assets.update(ns, other.id, { alias: 'LoGo' }), (err) => isUniqueViolation(err));
      // Renaming frees the old key; clearing the alias clears the key.
      await s().assets.update(ns, logo.id, { alias: null });
      assert.equal(await s().assets.findByAlias(ns, 'logo'), undefined);
      await s().assets.update(ns, other.id, { alias: 'LOGO' });
      assert.equal((await s().assets.find(ns, other.id))?.alias, 'LOGO');
      assert.equal((await s().assets.findByAlias(ns, 'logo'))?.id, other.id);
    });

    it('isUniqueViolation() is false for other constraint errors', async () => {
      const err = await s()
        .assets.insert(assetRow('ns_does_not_exist'))
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err, 'a row in a missing namespace violates the foreign key');
      assert.equal(isUniqueViolation(err), false);
      assert.equal(isUniqueViolation(new Error('x')), false);
      assert.equal(isUniqueViolation(null), false);
    });

    it('list() filters by folder, kind and status and pages newest first', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      const spec = [
        { folder: '/a', kind: 'image', status: 'ready' },
        { folder: '/a', kind: 'video', status: 'processing' },
        { folder: '/b', kind: 'image', status: 'ready' },
        { folder: '/a', kind: 'image', status: 'failed' },
        { folder: '/a', kind: 'image', status: 'ready' },
      ] as const;
      const rows = spec.map((f, i) => assetRow(ns, { ...f, id: `med_list${i}${'b'.repeat(12)}`, created_at: at(i < 4 ? i * 10 : 30) }));
      for (const r of rows) await s().assets.insert(r);
      await s().assets.insert(assetRow(other, { folder: '/a', created_at: at(15) }));
      const newestFirst = [rows[4]!, rows[3]!, rows[2]!, rows[1]!, rows[0]!];

      const pages = await allPages((after) => s().assets.list(ns, {}, { limit: 2, after }), 2);
      assert.deepEqual(pages.map(ids), [ids(newestFirst.slice(0, 2)), ids(newestFirst.slice(2, 4)), ids(newestFirst.slice(4))]);
      const list = (filter: Parameters<Store['assets']['list']>[1]) => s().assets.list(ns, filter, { limit: 10 }).then(ids);
      assert.deepEqual(await list({ folder: '/a' }), ids([rows[4]!, rows[3]!, rows[1]!, rows[0]!]));
      assert.deepEqual(await list({ kind: 'video' }), [rows[1]!.id]);
      assert.deepEqual(await list({ status: 'ready' }), ids([rows[4]!, rows[2]!, rows[0]!]));
      assert.deepEqual(await list({ folder: '/a', kind: 'image', status: 'ready' }), ids([rows[4]!, rows[0]!]));
      assert.deepEqual(await list({ folder: '/nowhere' }), []);
      const filtered = await allPages((after) => s().assets.list(ns, { folder: '/a', kind: 'image' }, { limit: 2, after }), 2);
      assert.deepEqual(filtered.map(ids), [[rows[4]!.id, rows[3]!.id], [rows[0]!.id]]);
    });
  });
}

export function blobsContract(s: () => Store): void {
  describe('blobs', () => {
    it('stores one blob per (namespace, sha256), with one reference and a numeric size', async () => {
      const ns = await addNamespace(s());
      const other = await addNamespace(s());
      const blob = blobRow(ns, { size: 6 * GIB });
      await s().blobs.insert(blob);
      assert.deepEqual(await s().blobs.findByHash(ns, blob.sha256), { ...blob, ref_count: 1 });
      assert.equal((await s().blobs.find(blob.id))?.size, 6 * GIB);
      assert.equal(typeof (await s().blobs.find(blob.id))?.size, 'number');
      await assert.rejects(s().blobs.insert(blobRow(ns, { sha256: blob.sha256 })), (err) => isUniqueViolation(err));
      await s().blobs.insert(blobRow(other, { sha256: blob.sha256 }));
      assert.notEqual((await s().blobs.findByHash(other, blob.sha256))?.id, blob.id);
      assert.equal(await s().blobs.findByHash(ns, 'f'.repeat(64)), undefined);
    });

    it('release() returns the row only on the last reference, and deletes it', async () => {
      const ns = await addNamespace(s());
      const blob = blobRow(ns);
      await s().blobs.insert(blob);
      await s().blobs.addRef(blob.id);
      await s().blobs.addRef(blob.id);
      assert.equal((await s().blobs.find(blob.id))?.ref_count, 3);
      assert.equal(await s().blobs.release(blob.id), undefined);
      assert.equal(await s().blobs.release(blob.id), undefined);
      assert.equal((await s().blobs.find(blob.id))?.ref_count, 1);
      const gone = await s().blobs.release(blob.id);
      assert.equal(gone?.id, blob.id);
      assert.equal(gone?.storage_key, blob.storage_key);
      assert.equal(gone?.size, blob.size);
      assert.equal(await s().blobs.find(blob.id), undefined);
      assert.equal(await s().blobs.findByHash(ns, blob.sha256), undefined);
      assert.equal(await s().blobs.release(blob.id), undefined);
    });

    it(
      'concurrent release() calls report the last reference exactly once',
      async () => {
        const ns = await addNamespace(s());
        const blob = blobRow(ns);
        await s().blobs.insert(blob);
        await s().blobs.addRef(blob.id);
        const results = await Promise.all([s().blobs.release(blob.id), s().blobs.release(blob.id)]);
        assert.equal(results.filter(Boolean).length, 1);
      },
    );
  });
}

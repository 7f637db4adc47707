/**
 * The repository contract, run against every SQL dialect: a SQLite file and a fresh
 * database on a real PostgreSQL server (INTAKE_TEST_PG_URL), dropped afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dialect } from '../../src/db/database.js';
import type { Store } from '../../src/db/repositories/index.js';
import { openTestStore, type TestStore } from '../helpers/databases.js';
import { addNamespace, apiKeyRow, assetRow, at, GIB, uploadRow } from '../helpers/rows.js';
import { assetsContract, blobsContract } from './contract/assets-blobs.js';
import { uploadsContract } from './contract/uploads.js';
import { leasesContract } from './contract/leases.js';
import { bucketsTasksContract } from './contract/buckets-tasks.js';
import { isUniqueViolation } from '../../src/db/database.js';

function namespacesContract(s: () => Store): void {
  describe('namespaces', () => {
    it('inserts and finds a namespace, counters starting at 0', async () => {
      const id = await addNamespace(s(), 5 * GIB);
      const row = await s().namespaces.find(id);
      assert.deepEqual(row, { id, name: `ns ${id}`, quota_bytes: 5 * GIB, limits: '{}', stored_bytes: 0, reserved_bytes: 0, created_at: at(0), public_delivery: 0, presets: '{}' });
      assert.equal(await s().namespaces.find('ns_missing'), undefined);
    });

    it('reserve() admits up to the quota exactly and refuses one byte more', async () => {
      const id = await addNamespace(s(), 100);
      assert.equal(await s().namespaces.reserve(id, 60), true);
      assert.equal(await s().namespaces.reserve(id, 41), false);
      assert.equal(await s().namespaces.reserve(id, 40), true);
      assert.equal(await s().namespaces.reserve(id, 1), false);
      assert.equal((await s().namespaces.find(id))?.reserved_bytes, 100);
    });

    it('reserve() counts stored bytes, and adjust() moves both counters', async () => {
      const id = await addNamespace(s(), 100);
      assert.equal(await s().namespaces.reserve(id, 70), true);
      await s().namespaces.adjust(id, { reserved: -70, stored: 70 });
      let row = await s().namespaces.find(id);
      assert.equal(row?.reserved_bytes, 0);
      assert.equal(row?.stored_bytes, 70);
      assert.equal(await s().namespaces.reserve(id, 31), false);
      assert.equal(await s().namespaces.reserve(id, 30), true);
      await s().namespaces.adjust(id, { stored: -70 });
      row = await s().namespaces.find(id);
      assert.equal(row?.stored_bytes, 0);
      assert.equal(row?.reserved_bytes, 30);
      assert.equal(await s().namespaces.reserve(id, 70), true);
    });

    it('reserve() with a null quota always admits, and big counters stay numbers', async () => {
      const id = await addNamespace(s(), null);
      assert.equal(await s().namespaces.reserve(id, 6 * GIB), true);
      assert.equal(await s().namespaces.reserve(id, 6 * GIB), true);
      await s().namespaces.adjust(id, { reserved: -6 * GIB, stored: 6 * GIB });
      const row = await s().namespaces.find(id);
      assert.equal(row?.reserved_bytes, 6 * GIB);
      assert.equal(row?.stored_bytes, 6 * GIB);
      assert.equal(typeof row?.stored_bytes, 'number');
      assert.equal(row?.quota_bytes, null);
    });

    it('reserve() on an unknown namespace is false', async () => {
      assert.equal(await s().namespaces.reserve('ns_missing', 1), false);
    });

    it('concurrent reserve() calls never overshoot the quota', async () => {
      const id = await addNamespace(s(), 100);
      const results = await Promise.all([1, 2, 3].map(() => s().namespaces.reserve(id, 40)));
      assert.equal(results.filter(Boolean).length, 2);
      assert.equal((await s().namespaces.find(id))?.reserved_bytes, 80);
    });
  });
}

function apiKeysContract(s: () => Store): void {
  describe('api keys', () => {
    it('finds an active key by hash until it is revoked, and revokes once', async () => {
      const ns = await addNamespace(s());
      const key = apiKeyRow(ns);
      await s().apiKeys.insert(key);
      assert.deepEqual((await s().apiKeys.findActiveWithNamespace(key.key_hash))?.key, key);
      assert.equal((await s().apiKeys.findActiveWithNamespace(key.key_hash))?.namespace?.id, ns, 'the namespace comes with the key');
      assert.equal(await s().apiKeys.revoke(key.id, at(10)), true);
      assert.equal(await s().apiKeys.findActiveWithNamespace(key.key_hash), undefined);
      assert.equal((await s().apiKeys.find(key.id))?.revoked_at, at(10));
      assert.equal(await s().apiKeys.revoke(key.id, at(20)), false);
      assert.equal((await s().apiKeys.find(key.id))?.revoked_at, at(10), 'a second revoke keeps the first time');
      assert.equal(await s().apiKeys.revoke('key_missing', at(10)), false);
    });

    it('keeps admin keys (no namespace) and refuses a duplicate hash', async () => {
      const admin = apiKeyRow(null);
      await s().apiKeys.insert(admin);
      assert.equal((await s().apiKeys.findActiveWithNamespace(admin.key_hash))?.key.role, 'admin');
      assert.equal((await s().apiKeys.findActiveWithNamespace(admin.key_hash))?.namespace, null);
      await assert.rejects(s().apiKeys.insert(apiKeyRow(null, { key_hash: admin.key_hash })), (err) => isUniqueViolation(err));
    });
  });
}

function transactionContract(s: () => Store): void {
  describe('store.transaction()', () => {
    it('commits and returns what the function returns', async () => {
      const id = await s().transaction(async (r) => {
        const ns = await addNamespace(r, 10);
        assert.equal(await r.namespaces.reserve(ns, 10), true);
        return ns;
      });
      assert.equal((await s().namespaces.find(id))?.reserved_bytes, 10);
    });

    it('rolls back every write when the function throws', async () => {
      const ns = await addNamespace(s(), 1000);
      const existing = uploadRow(ns);
      await s().uploads.insert(existing);
      const boom = new Error('boom');
      let newNs = '';
      const upload = uploadRow(ns);
      const asset = assetRow(ns);
      const key = apiKeyRow(ns);
      await assert.rejects(
        s().transaction(async (r) => {
          newNs = await addNamespace(r);
          assert.equal(await r.namespaces.reserve(ns, 500), true);
          await r.namespaces.adjust(ns, { stored: 100 });
          await r.uploads.insert(upload);
          assert.equal(await r.uploads.transition(existing.id, ['pending'], { status: 'canceled' }), true);
          await r.assets.insert(asset);
          await r.apiKeys.insert(key);
          assert.ok(await r.uploads.find(ns, upload.id), 'the transaction sees its own writes');
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.equal(await s().namespaces.find(newNs), undefined);
      const row = await s().namespaces.find(ns);
      assert.equal(row?.reserved_bytes, 0);
      assert.equal(row?.stored_bytes, 0);
      assert.equal(await s().uploads.find(ns, upload.id), undefined);
      assert.equal((await s().uploads.find(ns, existing.id))?.status, 'pending');
      assert.equal(await s().assets.find(ns, asset.id), undefined);
      assert.equal(await s().apiKeys.find(key.id), undefined);
    });

    it('rolls back on a unique violation inside, which stays recognisable', async () => {
      const ns = await addNamespace(s());
      await s().assets.insert(assetRow(ns, { alias: 'taken' }));
      const first = assetRow(ns);
      await assert.rejects(
        s().transaction(async (r) => {
          await r.assets.insert(first);
          await r.assets.insert(assetRow(ns, { alias: 'taken' }));
        }),
        (err) => isUniqueViolation(err),
      );
      assert.equal(await s().assets.find(ns, first.id), undefined);
    });
  });
}

function repositoryContract(s: () => Store): void {
  namespacesContract(s);
  apiKeysContract(s);
  uploadsContract(s);
  assetsContract(s);
  blobsContract(s);
  leasesContract(s);
  bucketsTasksContract(s);
  transactionContract(s);
  it('ping() answers', async () => {
    await s().ping();
  });
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
  describe(`repositories on ${dialect}`, () => {
    let t: TestStore | undefined;
    before(async () => {
      t = await openTestStore(dialect);
    });
    after(() => t?.close());
    repositoryContract(() => {
      if (!t) throw new Error(`no ${dialect} store (see the before hook's error)`);
      return t.store;
    });
  });
}

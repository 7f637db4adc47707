/**
 * Namespaces.createWithKey (the CLI's "namespace create") is one transaction: when the key
 * cannot be written, no namespace is left behind — on both dialects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/db/repositories/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { Namespaces } from '../../src/namespaces/namespaces.js';
import { openTestStore, type TestStore } from '../helpers/databases.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`createWithKey on ${dialect}`, () => {
    let t: TestStore;
    before(async () => {
      t = await openTestStore(dialect);
    });
    after(() => t.close());

    const count = async () => (await t.store.namespaces.list({ limit: 50 })).length;

    it('writes the namespace and its key together', async () => {
      const { namespace, key } = await new Namespaces(t.store, systemClock).createWithKey({ name: 'both' }, 'first');
      assert.ok(await t.store.namespaces.find(namespace.id));
      assert.equal((await t.store.apiKeys.find(key.id))?.namespace_id, namespace.id);
    });

    it('leaves no namespace when the key insert fails', async () => {
      const before = await count();
      // The real store, except that inside a transaction the key insert fails (a full disk, say).
      const failing: Store = {
        ...t.store,
        transaction: (fn) =>
          t.store.transaction((repos) => {
            const apiKeys = Object.create(repos.apiKeys) as typeof repos.apiKeys;
            apiKeys.insert = async () => {
              throw new Error('disk full');
            };
            return fn({ ...repos, apiKeys });
          }),
      };
      await assert.rejects(new Namespaces(failing, systemClock).createWithKey({ name: 'half' }, 'first'), /disk full/);
      assert.equal(await count(), before, 'the namespace was rolled back');
    });
  });
}

/**
 * Keys are cached for a few seconds after they authenticate (auth/key-cache.ts). A key
 * revoked, or a namespace changed, through the same process takes effect at once; a
 * second process sharing the database keeps serving its cached key for at most the
 * cache's TTL, the documented revocation delay, and no longer. On both dialects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Authenticator } from '../../src/auth/authenticator.js';
import { KeyCache } from '../../src/auth/key-cache.js';
import { systemClock } from '../../src/lib/clock.js';
import { Namespaces } from '../../src/namespaces/namespaces.js';
import { openTestStore, type TestStore } from '../helpers/databases.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';

/** One API process as far as keys go: its own cache, its authenticator, its admin service. */
function apiProcess(t: TestStore, ttlMs: number, clock: { ms: number }) {
  const cache = new KeyCache(ttlMs);
  return {
    auth: new Authenticator(t.store.apiKeys, 'admin-key-not-used-here-0123456789', cache, () => clock.ms),
    admin: new Namespaces(t.store, systemClock, cache),
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`key revocation across processes on ${dialect}`, () => {
    let t: TestStore;
    before(async () => {
      t = await openTestStore(dialect);
    });
    after(() => t.close());

    it('stops a revoked key at once in the revoking process, and within the TTL in another', async () => {
      const clock = { ms: 1_000_000 };
      const a = apiProcess(t, 2_000, clock);
      const b = apiProcess(t, 2_000, clock);
      const { key } = await a.admin.createWithKey({ name: 'revoke' }, 'k');
      const header = `Bearer ${key.secret}`;
      assert.equal((await a.auth.authenticate(header)).keyId, key.id);
      assert.equal((await b.auth.authenticate(header)).keyId, key.id);

      await a.admin.revokeKey(key.id);
      await assert.rejects(a.auth.authenticate(header), { code: 'unauthorized' });
      // B authenticated it a moment ago: served from its cache until the entry expires…
      clock.ms += 1_999;
      assert.equal((await b.auth.authenticate(header)).keyId, key.id);
      // …and refused from the first request after the TTL.
      clock.ms += 1;
      await assert.rejects(b.auth.authenticate(header), { code: 'unauthorized' });
      clock.ms -= 2_000;
      await assert.rejects(b.auth.authenticate(header), { code: 'unauthorized' }, 'a refused key is never cached');
    });

    it('never caches a key while a revoke runs in the same process', async () => {
      const clock = { ms: 2_000_000 };
      const a = apiProcess(t, 60_000, clock);
      const { key } = await a.admin.createWithKey({ name: 'race' }, 'k');
      const header = `Bearer ${key.secret}`;
      // Authenticate and revoke together: whichever read the database first, the key ends refused.
      await Promise.all([a.auth.authenticate(header).catch(() => undefined), a.admin.revokeKey(key.id)]);
      await assert.rejects(a.auth.authenticate(header), { code: 'unauthorized' });
    });

    it('serves a namespace change to the changing process at once', async () => {
      const clock = { ms: 3_000_000 };
      const a = apiProcess(t, 60_000, clock);
      const { namespace, key } = await a.admin.createWithKey({ name: 'limits' }, 'k');
      const header = `Bearer ${key.secret}`;
      const before = await a.auth.authenticate(header);
      assert.equal(before.role === 'namespace' && before.namespace?.limits, '{}');
      await a.admin.update(namespace.id, { limits: { image: 500 } });
      const after = await a.auth.authenticate(header);
      assert.equal(after.role === 'namespace' && after.namespace?.limits, JSON.stringify({ image: 500 }));
    });
  });
}

describe('key cache over HTTP', () => {
  let app: TestIntake;
  before(async () => {
    app = await startIntake();
  });
  after(() => app.close());

  const session = (key: string, size = 1000) => app.api('POST', '/v1/uploads', { key, json: { filename: 'a.png', content_type: 'image/png', file_size: size } });

  it('refuses a key on the request right after DELETE /v1/keys/:id', async () => {
    const { key, keyId } = await app.tenant();
    assert.equal((await session(key)).status, 201);
    assert.equal((await app.api('DELETE', `/v1/keys/${keyId}`)).status, 200);
    const refused = await session(key);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error?.code, 'unauthorized');
  });

  it('applies a lowered namespace limit and quota on the next request, with current counters in the quota refusal', async () => {
    const { key, namespaceId } = await app.tenant({ quota_bytes: 10_000 });
    assert.equal((await session(key, 4000)).status, 201);
    assert.equal((await app.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { limits: { image: 500 } } })).status, 200);
    assert.equal((await session(key, 1000)).status, 413);
    assert.equal((await app.api('PATCH', `/v1/namespaces/${namespaceId}`, { json: { limits: {} } })).status, 200);
    assert.equal((await session(key, 4000)).status, 201);
    const over = await session(key, 4000);
    assert.equal(over.body.error?.code, 'quota_exceeded');
    assert.equal(over.body.error?.details.reserved_bytes, 8000, 'counters as they are now, not as when the key was cached');
  });
});

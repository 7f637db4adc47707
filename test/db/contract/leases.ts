/** Leases repository contract; run by repositories.test.ts on every dialect. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../../src/db/repositories/index.js';
import { at } from '../../helpers/rows.js';

export function leasesContract(s: () => Store): void {
  describe('leases', () => {
    it('one holder at a time until the lease runs out; the holder extends it', async () => {
      const name = `lease-${Math.random().toString(36).slice(2)}`;
      assert.equal(await s().leases.acquire(name, 'a', at(0), at(60)), true);
      assert.equal(await s().leases.acquire(name, 'b', at(30), at(90)), false);
      assert.equal(await s().leases.acquire(name, 'a', at(30), at(90)), false, 'a running lease is not taken twice, even by its holder');
      await s().leases.extend(name, 'a', at(200));
      assert.equal(await s().leases.acquire(name, 'b', at(150), at(210)), false);
      assert.equal(await s().leases.acquire(name, 'b', at(200), at(260)), true, 'taken once it ran out');
      await s().leases.extend(name, 'a', at(1000));
      assert.equal(await s().leases.acquire(name, 'c', at(260), at(300)), true, 'a former holder cannot extend a lease it lost');
    });

    it('released, it waits for its next due time, except for a run on demand; a running one is never taken on demand', async () => {
      const name = `idle-${Math.random().toString(36).slice(2)}`;
      assert.equal(await s().leases.acquire(name, 'a', at(0), at(60)), true);
      assert.equal(await s().leases.acquire(name, 'b', at(10), at(70), { ifIdle: true }), false, 'a is running');
      assert.equal(await s().leases.extend(name, 'a', at(90)), true);
      assert.equal(await s().leases.extend(name, 'b', at(90)), false, 'b does not hold it');
      await s().leases.release(name, 'a', at(600));
      assert.equal(await s().leases.acquire(name, 'b', at(100), at(160)), false, 'not due before 600');
      assert.equal(await s().leases.acquire(name, 'b', at(100), at(160), { ifIdle: true }), true, 'on demand: nobody runs it');
      assert.equal(await s().leases.acquire(name, 'c', at(110), at(170), { ifIdle: true }), false, 'b is running');
    });

    it('racing acquirers: exactly one wins', async () => {
      const name = `race-${Math.random().toString(36).slice(2)}`;
      const wins = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((h) => s().leases.acquire(name, h, at(0), at(60))));
      assert.equal(wins.filter(Boolean).length, 1);
    });
  });
}

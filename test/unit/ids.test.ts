import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from '../../src/db/repositories/page.js';
import { isId, newId, randomToken, uuidV7, type IdPrefix } from '../../src/lib/ids.js';

describe('ids', () => {
  it('randomToken() is exactly n characters of [a-z0-9]', () => {
    for (const n of [0, 1, 16, 20, 64, 200]) assert.match(randomToken(n), new RegExp(`^[a-z0-9]{${n}}$`));
  });

  it('randomToken() uses the whole alphabet', () => {
    const seen = new Set(randomToken(36 * 300));
    assert.equal(seen.size, 36);
  });

  it('newId() is prefix_ and 25 of [a-z0-9] (the contract asks 16 or more), and unique', () => {
    const prefixes: IdPrefix[] = ['upl', 'med', 'src', 'ns', 'key', 'whk', 'req', 'blb'];
    for (const p of prefixes) {
      const id = newId(p);
      assert.match(id, new RegExp(`^${p}_[a-z0-9]{25}$`));
      assert.equal(isId(p, id), true);
    }
    const many = new Set(Array.from({ length: 2000 }, () => newId('upl')));
    assert.equal(many.size, 2000);
  });

  it('newId() begins with its creation time, so ids made later sort later (new rows append to their index)', async () => {
    const first = newId('upl');
    const start = Date.now();
    while (Date.now() === start) await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 50 }, () => newId('upl'));
    for (const id of later) assert.ok(id > first, `${id} sorts after ${first}`);
    assert.equal(parseInt(first.slice(4, 13), 36) <= start, true);
    assert.ok(start - parseInt(first.slice(4, 13), 36) < 1000, 'the first 9 characters are the time in ms, base 36');
    // The rest stays random: 50 ids made in the same millisecond differ after the time part.
    assert.equal(new Set(later.map((id) => id.slice(13))).size, 50);
  });

  it('uuidV7() is an RFC 9562 version 7 UUID: the time in ms first, then random bits; unique', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => uuidV7());
    for (const u of ids.slice(0, 50)) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, 2000);
    const ms = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(ms >= before && ms <= Date.now(), 'the first 48 bits are the creation time');
    // The variant's two free bits and every random digit vary.
    assert.deepEqual(new Set(ids.map((u) => u[19])), new Set(['8', '9', 'a', 'b']));
  });

  it('isId() checks the prefix and the alphabet', () => {
    assert.equal(isId('med', newId('upl')), false);
    assert.equal(isId('upl', 'upl_ABCDEFGHIJKLMNOPQRST'), false);
    assert.equal(isId('upl', 'upl_short'), false);
    assert.equal(isId('upl', 'uplabcdefghijklmnopqrst'), false);
  });
});

describe('page cursors', () => {
  it('round-trip, and anything else decodes to undefined', () => {
    const c = { createdAt: '2030-01-01T00:00:00.000Z', id: 'upl_abc' };
    assert.deepEqual(decodeCursor(encodeCursor(c)), c);
    for (const raw of ['', 'garbage', Buffer.from('a|b|c').toString('base64url'), Buffer.from('not-a-date|upl_1').toString('base64url'), Buffer.from('2030-01-01|').toString('base64url')]) {
      assert.equal(decodeCursor(raw), undefined, raw);
    }
  });
});

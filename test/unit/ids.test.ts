import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from '../../src/db/repositories/page.js';
import { isId, newId, randomToken, type IdPrefix } from '../../src/lib/ids.js';

describe('ids', () => {
  it('randomToken() is exactly n characters of [a-z0-9]', () => {
    for (const n of [0, 1, 16, 20, 64, 200]) assert.match(randomToken(n), new RegExp(`^[a-z0-9]{${n}}$`));
  });

  it('randomToken() uses the whole alphabet', () => {
    const seen = new Set(randomToken(36 * 300));
    assert.equal(seen.size, 36);
  });

  it('newId() is prefix_ and 20 of [a-z0-9], and unique', () => {
    const prefixes: IdPrefix[] = ['upl', 'med', 'src', 'ns', 'key', 'whk', 'req', 'blb'];
    for (const p of prefixes) {
      const id = newId(p);
      assert.match(id, new RegExp(`^${p}_[a-z0-9]{20}$`));
      assert.equal(isId(p, id), true);
    }
    const many = new Set(Array.from({ length: 2000 }, () => newId('upl')));
    assert.equal(many.size, 2000);
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

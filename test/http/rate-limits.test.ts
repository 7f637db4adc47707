/**
 * Rate limits: a token bucket per API key (no window edge lets twice the limit through),
 * and a budget per client address for requests without a valid key and for /files/*.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RateLimiter } from '../../src/http/plugins/rate-limit.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { assertError, createSession, parsed } from './error-helpers.js';

describe('token bucket', () => {
  it('a burst at the end of one minute and another at the start of the next do not add up to twice the limit', () => {
    const limiter = new RateLimiter(10);
    const t0 = Date.UTC(2030, 0, 1, 12, 0, 59, 900);
    const first = Array.from({ length: 10 }, () => limiter.hit('k', t0).allowed);
    assert.deepEqual(first, Array(10).fill(true));
    // 200 ms later, across the minute boundary: a fixed window would start afresh here.
    const second = Array.from({ length: 10 }, () => limiter.hit('k', t0 + 200).allowed);
    assert.equal(second.filter(Boolean).length, 0);
    // One token comes back every 6 s.
    assert.equal(limiter.hit('k', t0 + 6_100).allowed, true);
    assert.equal(limiter.hit('k', t0 + 6_100).allowed, false);
    const d = limiter.hit('k', t0 + 6_200);
    assert.equal(d.retryAfter, 6);
    assert.equal(d.remaining, 0);
  });
});

describe('per API key, over HTTP', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    // 20 a minute: a full bucket of 20, then one token back every 3 s.
    t = await startIntake({ INTAKE_RATE_LIMIT_PER_MINUTE: '20' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('after the burst is spent, one request per refill goes through, not a fresh window of 20', async () => {
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await t.api('GET', '/v1/usage', { key })).status));
    assert.deepEqual(statuses, Array(20).fill(200));
    const refused = assertError(await t.api('GET', '/v1/usage', { key }), 429, 'rate_limited');
    const wait = Number(refused.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 3, `Retry-After ${wait}`);
    // A token comes back within 3 s (a fixed window would refuse until the minute is over).
    const back = await eventually(async () => {
      const res = await t.api('GET', '/v1/usage', { key });
      return res.status === 200 ? res : null;
    }, 10_000, 'a token to come back');
    assert.equal(back.headers.get('x-ratelimit-remaining'), '0');
    // ...and only that one: the bucket does not start over.
    assertError(await t.api('GET', '/v1/usage', { key }), 429, 'rate_limited');
  });
});

describe('per client address', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake({ INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE: '5' });
    ({ key } = await t.tenant());
  });
  after(() => t.close());

  it('requests with no valid key get 401 until the address has spent its budget, then 429; a valid key still works', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${t.url}/v1/uploads`, { headers: { authorization: `Bearer sk_${'x'.repeat(40)}` } });
      statuses.push(res.status);
      if (i === 5) {
        assertError(await parsed(res), 429, 'rate_limited');
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
      } else await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    assert.equal((await fetch(`${t.url}/v1/uploads`)).status, 429, 'no key at all counts too');
    assert.equal((await t.api('GET', '/v1/uploads', { key })).status, 200);
  });

  it('/files/* traffic is limited per address, whatever the signature', async () => {
    const fresh = await startIntake({ INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const tenant = await fresh.tenant();
      const s = await createSession(fresh, tenant.key, { filename: 'a.txt', content_type: 'text/plain', file_size: 5 });
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(s.upload_url.replace(/sig=[^&]+/, 'sig=bad'), { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' });
        statuses.push(res.status);
        if (i === 5) assertError(await parsed(res), 429, 'rate_limited');
        else await res.arrayBuffer();
      }
      assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429]);
      assert.deepEqual(await fresh.tempFiles(), []);
    } finally {
      await fresh.close();
    }
  });
});

/**
 * Auth, admin rights, rate limits, unknown routes and the API documents: every refusal
 * is the contract's envelope with its stable code, never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startIntake, type TestIntake } from '../helpers/intake.js';
import { assertError, parsed, snapshot } from './error-helpers.js';

let t: TestIntake;

before(async () => {
  t = await startIntake();
});
after(() => t.close());

const get = async (route: string, headers: Record<string, string> = {}) => parsed(await fetch(t.url + route, { headers }));

describe('401 unauthorized', () => {
  for (const [name, headers] of [
    ['no Authorization header', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['another scheme', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ['a malformed key', { authorization: 'Bearer not-a-key' }],
    ['a key with the wrong prefix', { authorization: `Bearer pk_${'a'.repeat(40)}` }],
    ['a well-formed unknown key', { authorization: `Bearer sk_${'a'.repeat(40)}` }],
    ['the admin key with a suffix', { authorization: `Bearer ${ADMIN_KEY}x` }],
  ] as const) {
    it(`${name} is 401 unauthorized on every /v1 route`, async () => {
      for (const route of ['/v1/uploads', '/v1/assets', '/v1/usage', '/v1/uploads/upl_aaaaaaaaaaaaaaaaaaaa']) {
        assertError(await get(route, headers), 401, 'unauthorized');
      }
      const post = await parsed(await fetch(t.url + '/v1/uploads', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"filename":"a.txt","content_type":"text/plain","file_size":1}' }));
      assertError(post, 401, 'unauthorized');
    });
  }

  it('auth is checked before the body is parsed: malformed JSON without a key is 401', async () => {
    const res = await parsed(await fetch(t.url + '/v1/uploads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' }));
    assertError(res, 401, 'unauthorized');
  });

  it('a revoked key is 401 and creates nothing; other keys of the namespace keep working', async () => {
    const tenant = await t.tenant();
    const second = await t.api('POST', '/v1/keys', { json: { namespace_id: tenant.namespaceId, name: 'second' } });
    assert.equal(second.status, 201);
    assert.equal((await t.api('GET', '/v1/uploads', { key: tenant.key })).status, 200);
    const revoked = await t.api('DELETE', `/v1/keys/${tenant.keyId}`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok(revoked.body.data.revoked_at);
    const before = await snapshot(t, second.body.data.secret);
    assertError(await t.api('GET', '/v1/uploads', { key: tenant.key }), 401, 'unauthorized');
    assertError(await t.api('POST', '/v1/uploads', { key: tenant.key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: 1 } }), 401, 'unauthorized');
    assert.deepEqual(await snapshot(t, second.body.data.secret), before);
    // revoking again is idempotent; revoking an unknown key is 404
    assert.equal((await t.api('DELETE', `/v1/keys/${tenant.keyId}`)).status, 200);
    assertError(await t.api('DELETE', '/v1/keys/key_doesnotexist000000'), 404, 'not_found');
  });
});

describe('403 forbidden', () => {
  it('a namespace key on admin routes is 403 forbidden, and changes nothing', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    assertError(await t.api('POST', '/v1/namespaces', { key: a.key, json: { name: 'sneaky' } }), 403, 'forbidden');
    assertError(await t.api('POST', '/v1/keys', { key: a.key, json: { namespace_id: b.namespaceId, name: 'stolen' } }), 403, 'forbidden');
    assertError(await t.api('DELETE', `/v1/keys/${b.keyId}`, { key: a.key }), 403, 'forbidden');
    assert.equal((await t.api('GET', '/v1/uploads', { key: b.key })).status, 200, "b's key was not revoked");
  });

  it('the admin key on namespace routes is 403 forbidden', async () => {
    assertError(await t.api('GET', '/v1/uploads'), 403, 'forbidden');
    assertError(await t.api('GET', '/v1/usage'), 403, 'forbidden');
    assertError(await t.api('POST', '/v1/uploads', { json: { filename: 'a.txt', content_type: 'text/plain', file_size: 1 } }), 403, 'forbidden');
  });
});

describe('rate limit headers', () => {
  it('every authenticated answer, success or failure, carries X-RateLimit-Limit/Remaining/Reset', async () => {
    const { key } = await t.tenant();
    const answers = [
      await t.api('GET', '/v1/uploads', { key }),
      await t.api('POST', '/v1/uploads', { key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: 1 } }),
      await t.api('GET', '/v1/uploads/upl_doesnotexist00000000', { key }),
      await t.api('POST', '/v1/uploads', { key, json: { filename: 'a/b' } }),
      await t.api('POST', '/v1/namespaces', { key, json: { name: 'x' } }),
      await t.api('GET', '/v1/usage', { key }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [200, 201, 404, 400, 403, 200]);
    for (const a of answers) {
      assert.equal(a.headers.get('x-ratelimit-limit'), '6000');
      // A token bucket refills continuously (100 a second here), so only the bound is fixed.
      const remaining = Number(a.headers.get('x-ratelimit-remaining'));
      assert.ok(Number.isInteger(remaining) && remaining < 6000 && remaining >= 5000, `remaining ${remaining}`);
      const reset = Number(a.headers.get('x-ratelimit-reset'));
      const now = Date.now() / 1000;
      assert.ok(Number.isInteger(reset) && reset >= Math.floor(now) && reset <= now + 61, `reset ${reset} is not Unix seconds within the next minute`);
    }
  });
});

describe('429 rate_limited', () => {
  let limited: TestIntake;
  before(async () => {
    limited = await startIntake({ INTAKE_RATE_LIMIT_PER_MINUTE: '3' });
  });
  after(() => limited.close());

  // Namespace names are unique per instance.
  let made = 0;
  const newKey = async () => (await limited.intake.namespaces.createWithKey({ name: `rl-${++made}` }, 'rl')).key.secret;

  it('the request over the limit is 429 with Retry-After; another key has its own budget', async () => {
    const key = await newKey();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await limited.api('GET', '/v1/uploads', { key }));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
    // A bucket of 3 refills one token every 20 s: none comes back during these few requests.
    assert.deepEqual(answers.map((a) => a.headers.get('x-ratelimit-remaining')), ['2', '1', '0', '0']);
    const over = assertError(answers[3]!, 429, 'rate_limited');
    const retryAfter = Number(over.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 20, `Retry-After ${over.headers.get('retry-after')}`);
    assert.equal(over.headers.get('x-ratelimit-limit'), '3');
    // a refused request must not have done its work
    const post = await limited.api('POST', '/v1/uploads', { key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: 1 } });
    assertError(post, 429, 'rate_limited');
    const other = await newKey();
    assert.equal((await limited.api('GET', '/v1/uploads', { key: other })).status, 200);
    const rows = await limited.intake.db.kysely.selectFrom('uploads').select('id').execute();
    assert.equal(rows.length, 0, 'a rate-limited POST created a session');
  });
});

describe('unknown routes and API documents', () => {
  for (const [method, route, auth] of [
    ['GET', '/v1/nope', true],
    ['GET', '/nope', false],
    ['POST', '/v1/uploads/upl_x/finish', true],
    ['PUT', '/v1/uploads', true],
    ['GET', '/files', false],
  ] as const) {
    it(`${method} ${route} is a 404 not_found envelope`, async () => {
      const res = await parsed(await fetch(t.url + route, { method, headers: auth ? { authorization: `Bearer ${ADMIN_KEY}` } : {} }));
      assertError(res, 404, 'not_found');
    });
  }

  it('/openapi.json is an OpenAPI document listing the upload routes', async () => {
    const res = await fetch(t.url + '/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(String(doc.openapi), /^3\./);
    assert.ok(doc.paths['/v1/uploads']?.post, 'POST /v1/uploads is documented');
    assert.ok(doc.paths['/v1/uploads/{id}/complete']?.post, 'complete is documented');
    assert.ok(doc.paths['/v1/assets/{id}'], 'assets are documented');
  });

  it('/docs answers 200 HTML', async () => {
    const res = await fetch(t.url + '/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<html/i);
  });
});

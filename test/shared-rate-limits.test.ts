/**
 * Rate limits shared through Redis: two real API processes (spawned `intake serve`) on one
 * Redis and one data folder draw from one bucket per key and one per client address, so a
 * client alternating between them gets the limit once, not twice. Redis unreachable fails
 * open onto per-process buckets.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { randomToken } from '../src/lib/ids.js';
import { LIMITER_REDIS_OPTIONS, RedisRateLimiter } from '../src/http/plugins/rate-limit-redis.js';
import { ADMIN_KEY, eventually, freePort, startIntake } from './helpers/intake.js';
import { REDIS_URL } from './helpers/redis.js';
import { assertError, parsed } from './http/error-helpers.js';
import { spawnServe } from './helpers/serve-process.js';

const KEY_LIMIT = 6;
const ADDRESS_LIMIT = 4;

let dir: string;
let prefix: string;
let redis: Redis;
const servers: { child: ChildProcess; url: string }[] = [];

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = await spawnServe({
    INTAKE_DATA_DIR: dir,
    INTAKE_PORT: String(port),
    INTAKE_REDIS_URL: REDIS_URL,
    INTAKE_REDIS_PREFIX: prefix,
    INTAKE_RATE_LIMIT_PER_MINUTE: String(KEY_LIMIT),
    INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE: String(ADDRESS_LIMIT),
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function json(url: string, method: string, body: unknown) {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { data: any }).data;
}

async function dropKeys(r: Redis, pattern: string): Promise<void> {
  for await (const keys of r.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) if (keys.length) await r.del(...keys);
}

describe('rate limits shared through Redis by two API processes', () => {
  let key: string;
  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect().catch((err: Error) => {
      throw new Error(`These tests need Redis on ${REDIS_URL}: ${err.message}`);
    });
    prefix = `intake-test-rl-${randomToken(6)}`;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-shared-rl-'));
    // One after the other: the first migrates the shared database.
    servers.push(await startServer());
    servers.push(await startServer());
    const ns = await json(`${servers[0]!.url}/v1/namespaces`, 'POST', { name: 'shared' });
    key = (await json(`${servers[1]!.url}/v1/keys`, 'POST', { namespace_id: ns.id, name: 'shared' })).secret;
  });
  after(async () => {
    await Promise.all(servers.map(({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM'))))));
    await dropKeys(redis, `${prefix}:*`);
    redis.disconnect();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a key's limit holds across both processes: N requests alternately, then 429 with Retry-After on either", async () => {
    const remaining: number[] = [];
    for (let i = 0; i < KEY_LIMIT; i++) {
      const res = await fetch(`${servers[i % 2]!.url}/v1/uploads`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200, `request ${i + 1} on process ${i % 2}`);
      assert.equal(res.headers.get('x-ratelimit-limit'), String(KEY_LIMIT));
      remaining.push(Number(res.headers.get('x-ratelimit-remaining')));
      await res.arrayBuffer();
    }
    // One bucket: each process sees what the other took.
    assert.deepEqual(remaining, [5, 4, 3, 2, 1, 0]);
    for (const server of servers) {
      const res = await fetch(`${server.url}/v1/uploads`, { headers: { authorization: `Bearer ${key}` } });
      assertError(await parsed(res), 429, 'rate_limited');
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
      assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(Number(res.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    }
    assert.equal((await redis.keys(`${prefix}:ratelimit:key:*`)).length, 2, 'one bucket for the key, one for the admin, under the prefix');
  });

  it('the per-address budget is shared too: unauthenticated requests and /files/* on both processes spend one budget', async () => {
    const bad = { authorization: `Bearer sk_${'x'.repeat(40)}` };
    const statuses: number[] = [];
    for (let i = 0; i < ADDRESS_LIMIT / 2; i++) {
      const res = await fetch(`${servers[0]!.url}/v1/uploads`, { headers: bad });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    for (let i = 0; i < ADDRESS_LIMIT / 2; i++) {
      const res = await fetch(`${servers[1]!.url}/files/nothing?sig=bad`);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.ok(statuses.every((s) => s !== 429), `within the budget: ${statuses.join(',')}`);
    for (const server of servers) {
      for (const route of ['/v1/uploads', '/files/nothing?sig=bad']) {
        const res = await fetch(`${server.url}${route}`, { headers: bad });
        assertError(await parsed(res), 429, 'rate_limited');
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
      }
    }
    assert.equal((await fetch(`${servers[1]!.url}/v1/namespaces`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status, 200, 'a valid key from that address still works');
  });
});

describe('Redis unreachable', () => {
  it('fails open onto per-process buckets: requests are served and the limit still holds in the process', async () => {
    const t = await startIntake({ INTAKE_REDIS_URL: 'redis://127.0.0.1:1', INTAKE_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const { key } = await t.tenant();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await t.api('GET', '/v1/uploads', { key });
        statuses.push(res.status);
        if (i < 3) assert.equal(res.headers.get('x-ratelimit-remaining'), String(2 - i));
        else assert.ok(Number(res.headers.get('retry-after')) >= 1);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('a Redis that goes away and comes back', () => {
  it('is used again once it answers, and per-process buckets stand in while it does not', async () => {
    const port = await freePort();
    const client = new Redis(`redis://127.0.0.1:${port}`, LIMITER_REDIS_OPTIONS);
    client.on('error', () => undefined);
    await client.connect().catch(() => undefined);
    const outages: unknown[] = [];
    const limiter = new RedisRateLimiter(client, 'rl:', 5, (err) => outages.push(err));
    let server: ChildProcess | undefined;
    try {
      assert.equal((await limiter.hit('a')).remaining, 4, 'nothing listening: the per-process bucket');
      assert.equal(outages.length, 1, 'the outage is reported');
      // A Redis of our own on a free port (redis-server must be installed, as for the shared one).
      server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      server.once('error', (err) => assert.fail(`redis-server could not start: ${err.message}`));
      await eventually(async () => client.status === 'ready', 15_000, 'the limiter reconnects');
      assert.equal((await limiter.hit('a')).remaining, 4, 'a fresh bucket in Redis');
      const direct = new Redis(`redis://127.0.0.1:${port}`);
      assert.equal(await direct.hget('rl:a', 'tokens'), '4');
      direct.disconnect();
      server.kill('SIGKILL');
      await eventually(async () => client.status !== 'ready', 5_000, 'the limiter sees Redis gone');
      assert.equal((await limiter.hit('a')).remaining, 3, 'back on the per-process bucket, which remembers its own count');
    } finally {
      server?.kill('SIGKILL');
      client.disconnect();
    }
  });
});

describe('the Redis token bucket', () => {
  it('refills continuously: after the burst, a token comes back once 1/limit of the window has passed', async () => {
    const client = new Redis(REDIS_URL, LIMITER_REDIS_OPTIONS);
    await client.connect();
    const prefix = `intake-test-rl-${randomToken(6)}:`;
    try {
      // 2 per second: one token back every 500 ms.
      const limiter = new RedisRateLimiter(client, prefix, 2, (err) => assert.fail(String(err)), 1000);
      assert.deepEqual([(await limiter.hit('k')).allowed, (await limiter.hit('k')).allowed], [true, true]);
      const refused = await limiter.hit('k');
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfter, 1);
      assert.equal(refused.remaining, 0);
      await eventually(async () => (await limiter.hit('k')).allowed, 5_000, 'a token comes back');
      assert.ok((await client.pttl(`${prefix}k`)) > 0, 'the bucket expires once it would be full again');
    } finally {
      await dropKeys(client, `${prefix}*`);
      client.disconnect();
    }
  });
});

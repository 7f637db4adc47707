/**
 * Jobs are never lost with BullMQ: the database keeps a row for every unfinished job, so a
 * job Redis lost (a FLUSHALL of the prefix, a restart without persistence) is queued again
 * by reconciliation and runs once. The outbox relay runs in one process at a time and is
 * woken by PostgreSQL NOTIFY, or by Redis pub/sub on SQLite, not by a fast poll.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openDatabase, migrateToLatest } from '../../src/db/database.js';
import { createStore } from '../../src/db/repositories/index.js';
import { OUTBOX_CHANNEL } from '../../src/db/repositories/jobs.js';
import { BullQueue, type BullQueueOptions } from '../../src/jobs/bullmq-queue.js';
import type { Handlers } from '../../src/jobs/catalogue.js';
import { createTestDatabase } from '../helpers/databases.js';
import { eventually } from '../helpers/intake.js';
import { deleteRedisPrefix, REDIS_URL } from '../helpers/redis.js';

async function harness(dialect: 'sqlite' | 'postgres') {
  const target = await createTestDatabase(dialect);
  const db = openDatabase(target.url, { poolSize: 4 });
  await migrateToLatest(db);
  const store = createStore(db.kysely, { notifies: dialect === 'postgres' });
  const prefix = `intake-test-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping().catch((err: Error) => {
    throw new Error(`Redis not reachable at ${REDIS_URL}: ${err.message}`);
  });
  const queues: BullQueue[] = [];
  const seen: string[] = [];
  const handlers: Handlers = { 'upload.verify': async (p) => void seen.push(p.uploadId), 'asset.process': async () => undefined, 'webhook.deliver': async () => undefined, 'upload.import': async () => undefined };
  return {
    store,
    prefix,
    redis,
    seen,
    handlers,
    /** A BullQueue of one more "process" on the same database and prefix. */
    queue(over: Partial<BullQueueOptions> = {}): BullQueue {
      const listen: BullQueueOptions['listen'] = dialect === 'postgres' ? (onNotify, onError) => db.listen(OUTBOX_CHANNEL, onNotify, onError) : null;
      const q = new BullQueue(store, { url: REDIS_URL, prefix, leaseMs: 1000, retryBaseMs: 10, listen, ...over });
      queues.push(q);
      return q;
    },
    enqueue: (q: BullQueue, uploadId: string) => store.transaction((r) => q.enqueue(r, { name: 'upload.verify', payload: { uploadId } })),
    outbox: () => db.kysely.selectFrom('job_outbox').selectAll().execute(),
    relayHolder: async () => (await db.kysely.selectFrom('leases').select('holder').where('name', '=', 'job-relay').executeTakeFirst())?.holder ?? '',
    async close() {
      for (const q of queues) await q.close();
      await deleteRedisPrefix(redis, prefix);
      redis.disconnect();
      await db.close();
      await target.drop();
    },
  };
}

describe('BullMQ jobs Redis lost', () => {
  it('a relayed job whose Redis keys were flushed is queued again from the database and runs once', async () => {
    const h = await harness('sqlite');
    try {
      // A job relayed to Redis while no worker runs: only Redis holds it as waiting.
      const queue = h.queue({ reconcileMs: 300 });
      await h.enqueue(queue, 'upl_lost');
      await eventually(async () => (await h.outbox()).some((r) => r.relayed_at !== null), 10_000, 'the job to be relayed');
      assert.ok((await h.redis.keys(`${h.prefix}:*`)).length > 0);
      // Redis loses it (FLUSHALL of the prefix, a restart without persistence).
      await deleteRedisPrefix(h.redis, h.prefix);
      const workers = queue.startWorkers({ handlers: h.handlers, concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 } });
      try {
        await eventually(async () => h.seen.includes('upl_lost'), 10_000, 'the lost job to be queued again and run');
        await eventually(async () => (await h.outbox()).length === 0, 10_000, 'its row to go once it finished');
        assert.equal(await queue.reconcile(), 0, 'nothing more to queue again');
        assert.deepEqual(h.seen, ['upl_lost'], 'run once');
      } finally {
        await workers.close();
      }
    } finally {
      await h.close();
    }
  });
});

describe('a job Redis lost, queued again', () => {
  it('goes ahead of the jobs already waiting, as BullMQ puts back a stalled job', async () => {
    const h = await harness('sqlite');
    try {
      const queue = h.queue({ reconcileMs: 60_000 });
      await h.enqueue(queue, 'upl_lost');
      await eventually(async () => (await h.outbox()).some((r) => r.id === 'verify.upl_lost' && r.relayed_at !== null), 10_000, 'the job to be relayed');
      await deleteRedisPrefix(h.redis, h.prefix);
      // A newer job waits in Redis before the lost one is found.
      await h.enqueue(queue, 'upl_new');
      await eventually(async () => (await h.outbox()).some((r) => r.id === 'verify.upl_new' && r.relayed_at !== null), 10_000, 'the newer job to be relayed');
      assert.equal(await queue.reconcile(), 1);
      const workers = queue.startWorkers({ handlers: h.handlers, concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 } });
      try {
        await eventually(async () => h.seen.length === 2, 10_000, 'both jobs to run');
        assert.deepEqual(h.seen, ['upl_lost', 'upl_new']);
      } finally {
        await workers.close();
      }
    } finally {
      await h.close();
    }
  });
});

for (const dialect of ['postgres', 'sqlite'] as const) {
  describe(`the outbox relay (${dialect === 'postgres' ? 'PostgreSQL NOTIFY' : 'SQLite, Redis pub/sub'})`, () => {
    it('runs in one process at a time, is woken by a commit elsewhere, and moves when its process stops', async () => {
      const h = await harness(dialect);
      try {
        // Polling once a minute: a job that runs within seconds was relayed on a wake-up.
        const a = h.queue({ relayPollMs: 60_000 });
        const b = h.queue({ relayPollMs: 60_000 });
        const workers = a.startWorkers({ handlers: h.handlers, concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 } });
        try {
          const first = await eventually(h.relayHolder, 10_000, 'a relay to take the lease');
          await h.enqueue(a, 'upl_probe');
          await eventually(async () => h.seen.includes('upl_probe'), 10_000, 'the first job');
          // Enqueued through both processes: one of them is not the relay, and is heard.
          await h.enqueue(a, 'upl_a');
          await h.enqueue(b, 'upl_b');
          await eventually(async () => h.seen.includes('upl_a') && h.seen.includes('upl_b'), 10_000, 'both jobs, relayed on a wake-up').catch(async (err: Error) => {
            throw new Error(`${err.message}: ran ${JSON.stringify(h.seen)}, outbox ${JSON.stringify(await h.outbox())}, relay ${await h.relayHolder()} (a ${a.holder}, b ${b.holder})`);
          });
          assert.equal(await h.relayHolder(), first, 'one relay throughout');
          // The relay's process stops: the other takes the lease over and relays.
          const relay = first === a.holder ? a : b;
          const other = relay === a ? b : a;
          await relay.close();
          await eventually(async () => (await h.relayHolder()) === other.holder, 15_000, 'the other process to take the relay over');
          await h.enqueue(other, 'upl_after');
          if (relay === a) {
            const w2 = other.startWorkers({ handlers: h.handlers, concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 } });
            await eventually(async () => h.seen.includes('upl_after'), 10_000, 'a job after the takeover');
            await w2.close();
          } else await eventually(async () => h.seen.includes('upl_after'), 10_000, 'a job after the takeover');
        } finally {
          await workers.close();
        }
      } finally {
        await h.close();
      }
    });
  });
}

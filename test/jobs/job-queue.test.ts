/** The job-queue contract on the database backend (SQLite, PostgreSQL) and on BullMQ with a real Redis. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { BullQueue } from '../../src/jobs/bullmq-queue.js';
import { DatabaseQueue } from '../../src/jobs/database-queue.js';
import { createTestDatabase } from '../helpers/databases.js';
import { queueContract, type QueueHarness } from './queue-contract.js';

import { REDIS_URL } from '../helpers/redis.js';
const LEASE_MS = 1000;

async function databaseHarness(dialect: 'sqlite' | 'postgres'): Promise<QueueHarness> {
  const target = await createTestDatabase(dialect);
  const t = await openTestStoreAt(target.url, dialect);
  const queue = new DatabaseQueue(t.store, { leaseMs: LEASE_MS, retryBaseMs: 10, pollMs: 50 });
  return {
    store: t.store,
    queue,
    childArgs: [target.url, '-', '-'],
    leaseMs: LEASE_MS,
    leftovers: async () => (await t.db.kysely.selectFrom('jobs').select(['id', 'status']).where('status', '!=', 'failed').execute()).map((r) => `${r.id}:${r.status}`),
    close: async () => {
      await queue.close();
      await t.db.close();
      await target.drop();
    },
  };
}

/** A migrated store on a database whose URL the worker child process can open too. */
async function openTestStoreAt(url: string, dialect: 'sqlite' | 'postgres') {
  const { openDatabase, migrateToLatest } = await import('../../src/db/database.js');
  const { createStore } = await import('../../src/db/repositories/index.js');
  const db = openDatabase(url, { poolSize: 4 });
  await migrateToLatest(db);
  return { dialect, db, store: createStore(db.kysely) };
}

async function bullHarness(): Promise<QueueHarness> {
  const target = await createTestDatabase('sqlite');
  const t = await openTestStoreAt(target.url, 'sqlite');
  const prefix = `intake-test-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis not reachable at ${REDIS_URL} (set INTAKE_TEST_REDIS_URL): ${(err as Error).message}`);
  }
  const queue = new BullQueue(t.store, { url: REDIS_URL, prefix, leaseMs: LEASE_MS, retryBaseMs: 10, relayPollMs: 50 });
  return {
    store: t.store,
    queue,
    childArgs: [target.url, REDIS_URL, prefix],
    leaseMs: LEASE_MS,
    leftovers: async () => {
      const counts = await queue.counts();
      const left = Object.entries(counts).flatMap(([q, c]) => [...Array(c.waiting + c.active + c.delayed)].map(() => `${q}:unfinished`));
      const outbox = await t.db.kysely.selectFrom('job_outbox').select('id').execute();
      return [...left, ...outbox.map((r) => `outbox:${r.id}`)];
    },
    close: async () => {
      await queue.obliterate();
      await queue.close();
      // Whatever BullMQ keeps beside its jobs goes too: the suite leaves no key under its prefix.
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      await t.db.close();
      await target.drop();
    },
  };
}

queueContract('database (SQLite)', () => databaseHarness('sqlite'));
queueContract('database (PostgreSQL)', () => databaseHarness('postgres'));
queueContract('BullMQ (Redis)', bullHarness);

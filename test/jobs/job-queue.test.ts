/** The job-queue contract on the database backend (SQLite, PostgreSQL) and on BullMQ with a real Redis. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BullQueue } from '../../src/jobs/bullmq-queue.js';
import { DatabaseQueue } from '../../src/jobs/database-queue.js';
import { createTestDatabase } from '../helpers/databases.js';
import { eventually, freePort } from '../helpers/intake.js';
import { queueContract, type QueueHarness } from './queue-contract.js';

import { deleteRedisPrefix, REDIS_URL } from '../helpers/redis.js';
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
      await deleteRedisPrefix(redis, prefix);
      redis.disconnect();
      await t.db.close();
      await target.drop();
    },
  };
}

queueContract('database (SQLite)', () => databaseHarness('sqlite'));
queueContract('database (PostgreSQL)', () => databaseHarness('postgres'));
queueContract('BullMQ (Redis)', bullHarness);

describe('BullMQ outbox', () => {
  it('a job committed by a process that died before relaying it is relayed by another process and runs once', async () => {
    const h = await bullHarness();
    const seen: string[] = [];
    const workers = h.queue.startWorkers({
      handlers: { 'upload.verify': async (p) => void seen.push(p.uploadId), 'upload.import': async () => undefined, 'asset.process': async () => undefined, 'webhook.deliver': async () => undefined },
      concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 },
    });
    try {
      // What an enqueue commits with its transaction: the outbox row, and nothing in Redis yet.
      // Its process is gone, so only the relay of another process (this queue's) can hand it over.
      await h.store.transaction((r) => r.jobs.insertOutbox({ id: 'verify.upl_orphaned', name: 'upload.verify', payload: JSON.stringify({ uploadId: 'upl_orphaned' }), delay_ms: 0, created_at: new Date().toISOString() }));
      await eventually(async () => seen.includes('upl_orphaned'), 10_000, 'the orphaned outbox row to run');
      await eventually(async () => (await h.leftovers()).length === 0, 10_000, 'an empty outbox and nothing left waiting or running');
      assert.deepEqual(seen, ['upl_orphaned'], 'run once');
    } finally {
      await workers.close();
      await h.close();
    }
  });
});

describe('BullMQ closing while Redis is not answering', () => {
  it('raises nothing unhandled when a connection that failed is half-way through its next attempt', async () => {
    const unhandled: unknown[] = [];
    const record = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', record);
    const port = await freePort();
    // Nothing listens at first, so every connection records a refusal; then a server that
    // accepts and never answers holds each reconnect attempt half-way (connected, not ready).
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => void held.add(socket));
    const target = await createTestDatabase('sqlite');
    const t = await openTestStoreAt(target.url, 'sqlite');
    const errors: unknown[] = [];
    const queue = new BullQueue(t.store, { url: `redis://127.0.0.1:${port}`, prefix: 'intake-test-down', leaseMs: LEASE_MS, retryBaseMs: 10 }, (err) => errors.push(err));
    try {
      const workers = queue.startWorkers({ concurrency: { uploads: 1, imports: 1, media: 1, webhooks: 1 }, handlers: {} as never, events: {} });
      await eventually(async () => errors.length > 0, 5_000, 'a refused connection');
      await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
      // Every client (the shared one, and each worker's blocking one) reconnects into the silent server.
      await eventually(async () => held.size >= 4, 10_000, 'reconnect attempts held by the silent server');
      await workers.close();
      await queue.close();
      // An unhandled rejection surfaces on a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(unhandled.map(String), []);
    } finally {
      process.off('unhandledRejection', record);
      for (const s of held) s.destroy();
      silent.close();
      await t.db.close();
      await target.drop();
    }
  });
});

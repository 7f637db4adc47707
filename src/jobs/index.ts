/**
 * The one switch on queue backend: BullMQ when a Redis URL is configured, else the
 * database. BullMQ (and ioredis) is loaded only in the first case.
 */
import type { Store } from '../db/repositories/index.js';
import { DatabaseQueue } from './database-queue.js';
import type { JobQueue } from './queue.js';
import type { BullQueueOptions } from './bullmq-queue.js';

export interface QueueSetup {
  redisUrl: string | null;
  redisPrefix: string;
  leaseMs: number;
  retryBaseMs: number | null;
  /** BullMQ: how often relayed jobs are compared with Redis, and lost ones queued again. */
  reconcileMs?: number;
  /** BullMQ: PostgreSQL's LISTEN on the outbox channel, waking the relay; null or absent: Redis pub/sub. */
  listen?: BullQueueOptions['listen'];
}

export async function createQueue(store: Store, setup: QueueSetup, onError?: (err: unknown, context: string) => void): Promise<JobQueue> {
  if (setup.redisUrl) {
    const { BullQueue } = await import('./bullmq-queue.js');
    return new BullQueue(store, { url: setup.redisUrl, prefix: setup.redisPrefix, leaseMs: setup.leaseMs, retryBaseMs: setup.retryBaseMs, reconcileMs: setup.reconcileMs, listen: setup.listen }, onError);
  }
  return new DatabaseQueue(store, { leaseMs: setup.leaseMs, retryBaseMs: setup.retryBaseMs });
}

export * from './catalogue.js';
export type * from './queue.js';

import type { Redis } from 'ioredis';

/** The Redis the tests use (INTAKE_TEST_REDIS_URL, default the local one); each test uses its own key prefix. */
export const REDIS_URL = process.env.INTAKE_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Deletes every key under `prefix:` (what a test's BullMQ queues and buckets left). */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

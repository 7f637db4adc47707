/**
 * The HTTP API of a serving process over a Core: the Fastify app (http/app.ts) with its
 * authenticator and rate limits, listening on host:port.
 */
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../auth/authenticator.js';
import { buildApp } from '../http/app.js';
import { LIMITER_REDIS_OPTIONS, RedisRateLimiter } from '../http/plugins/rate-limit-redis.js';
import type { Limiter } from '../http/plugins/rate-limit.js';
import type { Background } from '../lib/background.js';
import { compatMounts } from '../compat/index.js';
import type { Core } from './core.js';

export interface Api {
  app: FastifyInstance;
  /** Serves HTTP on host:port. */
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops taking requests and answers those in flight. */
  close(): Promise<void>;
}

/**
 * The one switch for rate limits: shared buckets in Redis when there is one (many API
 * processes), in-process buckets otherwise (buildApp's default). ioredis is loaded only
 * when Redis is configured, as BullMQ is (jobs/index.ts).
 */
async function sharedLimiters(core: Core): Promise<{ limiters?: { byKey: Limiter; byAddress: Limiter }; close(): void }> {
  const { config, context } = core;
  if (!config.redis.url) return { close: () => undefined };
  const redis = new (await import('ioredis')).Redis(config.redis.url, LIMITER_REDIS_OPTIONS);
  redis.on('error', () => undefined); // Outages are reported by the limiter, throttled.
  await redis.connect().catch((err: unknown) => context.log.warn({ err }, 'rate limits: Redis unreachable at start; per-process limits until it answers'));
  const outage = (err: unknown) => context.log.warn({ err }, 'rate limits: Redis unreachable; per-process limits until it answers');
  const prefix = `${config.redis.prefix}:ratelimit:`;
  return {
    limiters: {
      byKey: new RedisRateLimiter(redis, `${prefix}key:`, config.http.rateLimitPerMinute, outage),
      byAddress: new RedisRateLimiter(redis, `${prefix}address:`, config.http.addressRateLimitPerMinute, outage),
    },
    close: () => redis.disconnect(),
  };
}

export async function createApi(core: Core, background: Background): Promise<Api> {
  const { config, context, store } = core;
  const shared = await sharedLimiters(core);
  const app = await buildApp({
    uploads: context,
    namespaces: core.namespaces,
    authenticator: new Authenticator(store.apiKeys, core.adminKey.value, core.keyCache),
    selfServed: core.selfServed,
    background,
    probes: { database: () => store.ping(), storage: () => context.storage.ping(), queue: () => core.queue.ping() },
    webhooks: core.webhooks,
    metrics: [...core.jobStats.metrics, ...core.uploadStats.metrics],
    rateLimitPerMinute: config.http.rateLimitPerMinute,
    maxUploadBytes: config.uploads.maxUploadBytes,
    trustProxy: config.http.trustProxy,
    logger: core.logger,
    transfers: { minBytesPerSecond: config.http.minTransferBytesPerSecond, windowMs: config.http.transferWindowMs, maxConcurrentUploads: config.http.maxConcurrentUploads },
    addressRateLimitPerMinute: config.http.addressRateLimitPerMinute,
    limiters: shared.limiters,
    publicUrl: config.http.publicUrl,
    tus: core.appender ? { appender: core.appender, secret: core.signingSecret } : undefined,
    transforms: core.transforms,
    mounts: compatMounts(config.http.compat, { ctx: context, background, config }),
  });
  return {
    app,
    async listen(host, port) {
      await app.listen({ host, port });
      return app.server.address() as AddressInfo;
    },
    async close() {
      await app.close();
      shared.close();
    },
  };
}

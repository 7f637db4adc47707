/**
 * buildApp(deps): the whole HTTP surface, ready to inject() or listen(); it never listens
 * itself. Routes are schema-first; the same schemas produce /openapi.json and /docs.
 */
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastJson from 'fast-json-stringify';
import type { Authenticator } from '../auth/authenticator.js';
import type { Background } from '../lib/background.js';
import { newId } from '../lib/ids.js';
import { IntakeError } from '../lib/errors.js';
import { parseClientJson } from '../lib/safe-json.js';
import type { Namespaces } from '../namespaces/namespaces.js';
import type { LocalDiskStorage } from '../storage/local.js';
import type { Appender } from '../storage/object-storage.js';
import { tusRoutes } from './tus/tus-routes.js';
import { tusToken } from './tus/token.js';
import type { AppContext } from '../core/context.js';
import { consoleRoutes, defaultConsoleDir, storageOrigin } from './console.js';
import { frameworkErrors, installErrorHandling } from './error-handler.js';
import { redactedRequest } from './log-redaction.js';
import { installAuth } from './plugins/auth.js';
import { installMetrics } from './plugins/metrics.js';
import { httpKit, type Mount } from './mounts.js';
import { finishOpenApi } from './openapi.js';
import { RateLimiter, type Limiter } from './plugins/rate-limit.js';
import { TransferGuard } from './plugins/transfer-guard.js';
import { UploadGate } from './plugins/upload-gate.js';
import { adminRoutes } from './routes/admin.js';
import { uploadRules } from '../uploads/limits.js';
import { assetRoutes } from './routes/assets.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes, type Probe } from './routes/health.js';
import { publicRoutes } from './routes/public.js';
import { transformRoutes, transformUrlRoutes } from './routes/transforms.js';
import { playbackRoutes } from './routes/playback.js';
import type { Transforms } from '../assets/transforms.js';
import { METADATA_LIMITS } from '../assets/fields.js';
import { storeRoutes } from './routes/store.js';
import { uploadRoutes } from './routes/uploads.js';
import { webhookRoutes } from './routes/webhooks.js';
import { bucketRoutes } from './routes/buckets.js';
import type { WebhookDeps } from '../webhooks/webhooks.js';
import type { Metric } from 'prom-client';

export interface AppDeps {
  uploads: AppContext;
  namespaces: Namespaces;
  authenticator: Authenticator;
  /** The local-disk driver whose signed URLs Intake serves, or null with S3. */
  selfServed: LocalDiskStorage | null;
  background: Background;
  probes: Record<string, Probe>;
  rateLimitPerMinute: number;
  maxUploadBytes: number;
  trustProxy: boolean;
  logger: FastifyBaseLogger | false;
  webhooks: WebhookDeps;
  /** Metrics from outside HTTP (the job queue) served at /metrics too. */
  metrics?: Metric[];
  /** Slow-body cut-off and upload admission (see plugins/transfer-guard.ts, plugins/upload-gate.ts). */
  transfers?: { minBytesPerSecond: number; windowMs: number; maxConcurrentUploads: number };
  /** Per client address: requests without a valid key, and /files/* traffic. */
  addressRateLimitPerMinute?: number;
  /** Shared stores for both limits (Redis, see main/container.ts); in-process buckets when absent. */
  limiters?: { byKey: Limiter; byAddress: Limiter };
  /** The built web console served at `/` (default: the project's dist/console). */
  consoleDir?: string;
  /** INTAKE_PUBLIC_URL: the `servers` entry of /openapi.json. */
  publicUrl?: string;
  /** tus at /tus/, where the storage can grow an object (local disk). */
  tus?: { appender: Appender; secret: string };
  /** Image transforms on demand (signed URLs, public presets). */
  transforms: Transforms;
  /** Route sets from outside http/ (the compatibility routes), each in its own scope (mounts.ts). */
  mounts?: Mount[];
}

/**
 * A route's validator or serializer is compiled on the route's first use, not at start:
 * ~170 serializers and as many validators compiled up front were a third of the start time
 * and several MB of generated code in every idle process, for routes most processes never
 * answer. Ajv reports a failed validation on the function (`errors`): passed on.
 */
function onFirstUse<R>(compile: () => (data: unknown) => R): (data: unknown) => R {
  let compiled: ((data: unknown) => R) & { errors?: unknown } | undefined;
  const call = Object.assign((data: unknown) => {
    compiled ??= compile();
    const result = compiled(data);
    call.errors = compiled.errors;
    return result;
  }, { errors: undefined as unknown });
  return call;
}

/** JSON bodies are validated as sent (no coercion); query strings and params are coerced. */
function validators() {
  const base = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
  let ajv: { body: Ajv; other: Ajv } | undefined;
  const compilers = () => {
    if (ajv) return ajv;
    ajv = { body: new Ajv({ ...base, coerceTypes: false }), other: new Ajv({ ...base, coerceTypes: 'array' }) };
    addFormats.default(ajv.body);
    addFormats.default(ajv.other);
    return ajv;
  };
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    onFirstUse(() => (httpPart === 'body' ? compilers().body : compilers().other).compile(schema));
}

/** Fastify's own response serializers (fast-json-stringify: unknown fields dropped), compiled on first use. */
function serializers() {
  return ({ schema }: { schema: object }) => onFirstUse(() => fastJson(schema as Parameters<typeof fastJson>[0]));
}

/** A connection silent this long is closed: a body that stops arriving is abandoned, its socket and temp file go. */
export const CONNECTION_TIMEOUT_MS = 60_000;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // A child's serializers win over Fastify's defaults: every request line gets the redacted URL.
  const logger = deps.logger ? deps.logger.child({}, { serializers: { req: redactedRequest } }) : undefined;
  const app = Fastify({
    loggerInstance: logger,
    logger: deps.logger ? undefined : false,
    genReqId: () => newId('req'),
    // One access line per request (below) instead of Fastify's two: half the logging on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    bodyLimit: 1024 * 1024,
    // A body that stops arriving for this long is abandoned: its socket and temp file go.
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // A path that does not decode is the contract's 400, not Fastify's own body.
    frameworkErrors,
  } as never) as unknown as FastifyInstance;
  app.setValidatorCompiler(validators());
  app.setSerializerCompiler(serializers());
  installErrorHandling(app);
  const transfers = deps.transfers ?? { minBytesPerSecond: 1024, windowMs: 30_000, maxConcurrentUploads: 500 };
  const guard = new TransferGuard(transfers.minBytesPerSecond, transfers.windowMs);
  const gate = new UploadGate(transfers.maxConcurrentUploads);
  const byAddress = deps.limiters?.byAddress ?? new RateLimiter(deps.addressRateLimitPerMinute ?? 6000);
  // Every body must keep arriving at the minimum rate (the socket timeout only catches silence).
  // A callback hook, not an async one: it runs on every request, and needs no promise.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    guard.watchBody(request.raw);
    done();
  });
  app.addHook('onClose', async () => guard.close());
  if (logger) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
      done();
    });
  }
  // The API speaks JSON (and multipart for uploads); a text/plain body is a 415.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body means "no body" (POST …/complete with a JSON header and nothing else).
  // Every JSON body is an object, so no body reads as `{}`: a route whose fields are all
  // optional takes it, one with a required field names that field. (Left undefined, the
  // route's schema would refuse it as "body must be object".)
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, parseClientJson(text));
    } catch (err) {
      done(new IntakeError('invalid_request', `Malformed JSON: ${(err as Error).message}`), undefined);
    }
  });

  await app.register(multipart, {
    // A field's longest value is metadata's.
    limits: { fileSize: deps.maxUploadBytes + 1, files: 1, fields: 20, fieldSize: METADATA_LIMITS.jsonBytes, parts: 25, headerPairs: 100 },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Intake', version: '1', description: 'Self-hosted media upload pipeline. See docs/API.md in the repository for the overview and the choices made.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: a namespace key (sk_…) for uploads, assets, webhooks and usage; the admin key for namespaces and keys.' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'uploads', description: 'Upload sessions (namespace key).' },
        { name: 'assets', description: 'Assets (namespace key).' },
        { name: 'webhooks', description: 'Webhook endpoints and deliveries (namespace key).' },
        { name: 'namespace', description: 'The calling namespace itself (namespace key; an admin key is 403).' },
        { name: 'admin', description: 'Namespaces and keys (admin key; a namespace key is 403).' },
        { name: 'operations', description: 'Probes and metrics for operators: no key, keep them on an internal network.' },
        { name: 'delivery', description: 'Public delivery of assets a namespace made public: no key.' },
        { name: 'tus', description: 'tus 1.0.0 resumable uploads at /tus/: a namespace key, or an upload URL with its token.' },
        { name: 'files', description: 'Signed URLs served by Intake itself with local storage: the signature is the credential, no key.' },
      ],
    },
    transformObject: finishOpenApi(deps.publicUrl),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installMetrics(app, deps.metrics);
  await app.register(healthRoutes(deps.probes));
  if (deps.selfServed) await app.register(fileRoutes(deps.uploads, deps.selfServed, { gate, guard, byAddress }));
  const byKey = deps.limiters?.byKey ?? new RateLimiter(deps.rateLimitPerMinute);
  if (deps.tus) {
    await app.register(tusRoutes(deps.uploads, {
      ...deps.tus,
      authenticator: deps.authenticator,
      byKey,
      byAddress,
      gate,
      publicUrl: deps.publicUrl ?? '',
      maxSize: deps.maxUploadBytes,
    }));
  }
  await app.register(storeRoutes(deps.uploads, gate, byAddress));
  await app.register(publicRoutes(deps.uploads));
  await app.register(transformRoutes(deps.transforms));
  if (deps.uploads.tokens) await app.register(playbackRoutes(deps.uploads, deps.uploads.tokens));
  const mediaOrigin = await storageOrigin(deps.uploads.storage, deps.uploads.clock.now());
  await app.register(consoleRoutes({ dir: deps.consoleDir ?? defaultConsoleDir(), mediaOrigin }));
  const kit = httpKit(deps.authenticator, byKey, byAddress, gate);
  for (const mount of deps.mounts ?? []) await app.register(async (scope) => mount(scope, kit));
  await app.register(async (v1) => {
    installAuth(v1, deps.authenticator, byKey, byAddress);
    const tus = deps.tus;
    const tusLink = tus ? (id: string, expiresAt: Date) => `${(deps.publicUrl ?? '').replace(/\/+$/, '')}/tus/${id}?token=${tusToken(tus.secret, id, expiresAt)}` : undefined;
    await v1.register(uploadRoutes(deps.uploads, deps.background, gate, tusLink));
    await v1.register(assetRoutes(deps.uploads));
    await v1.register(bucketRoutes(deps.uploads));
    await v1.register(transformUrlRoutes(deps.transforms));
    await v1.register(adminRoutes(deps.namespaces, (limits) => uploadRules(deps.uploads, limits)));
    await v1.register(webhookRoutes(deps.webhooks));
  });
  return app;
}

import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { namespaceWithUsage, type Namespaces } from '../../namespaces/namespaces.js';
import { Presets } from '../../namespaces/views.js';
import { sendOk } from '../envelope.js';
import { requireAdmin, tenantOf } from '../plugins/auth.js';
import { CreatedKey, errors, KeyView, NamespaceView, NamespaceWithUsage, Ok, Usage } from '../responses.js';
import { IdParams, ListQuery, MAX_INTEGER } from '../schemas.js';
import type { UploadRules, UsageBase } from '../../namespaces/views.js';

async function usageWithRules(namespaces: Namespaces, rules: (limits: UsageBase['limits']) => UploadRules, namespaceId: string) {
  const usage = await namespaces.usage(namespaceId);
  return { ...usage, ...rules(usage.limits) };
}

const Bytes = Type.Integer({ minimum: 1, maximum: MAX_INTEGER });
const LimitsBody = Type.Object(
  { image: Type.Optional(Bytes), video: Type.Optional(Bytes), audio: Type.Optional(Bytes), document: Type.Optional(Bytes) },
  { additionalProperties: false },
);

/**
 * Every admin change is logged once with the admin request's id, so an operator can
 * answer "who changed this quota, and when" from the logs alone.
 */
function audit(request: FastifyRequest, action: string, details: Record<string, unknown>): void {
  request.log.info({ audit: { action, request_id: request.id, key_id: request.principal?.keyId ?? null, ...details } }, `admin: ${action}`);
}

/** `rules`: what a namespace with these limits may upload (the use case's, passed in: routes reach uploads only through it). */
export function adminRoutes(namespaces: Namespaces, rules: (limits: UsageBase['limits']) => UploadRules) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/v1/namespaces',
      {
        schema: {
          summary: 'Create a namespace (admin)',
          tags: ['admin'],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100 }),
              quota_bytes: Type.Optional(Type.Union([Bytes, Type.Null()])),
              limits: Type.Optional(LimitsBody),
            },
            { additionalProperties: false },
          ),
          response: { 201: Ok(NamespaceView, 'The namespace.'), ...errors(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const created = await namespaces.create(request.body);
        audit(request, 'namespace.create', { namespace_id: created.id, after: created });
        return sendOk(reply, created, 201);
      },
    );

    app.get(
      '/v1/namespaces',
      {
        schema: {
          summary: 'List namespaces with their usage, newest first (admin)',
          tags: ['admin'],
          querystring: ListQuery,
          response: { 200: Ok(Type.Array(NamespaceWithUsage), 'Namespaces; meta.next_cursor pages on.'), ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const page = await namespaces.list(request.query);
        return sendOk(reply, page.items, 200, { next_cursor: page.nextCursor });
      },
    );

    app.get(
      '/v1/namespaces/:id',
      { schema: { summary: 'A namespace with its usage (admin)', tags: ['admin'], params: IdParams, response: { 200: Ok(NamespaceWithUsage, 'The namespace.'), ...errors(401, 403, 404) } } },
      async (request, reply) => {
        requireAdmin(request);
        return sendOk(reply, namespaceWithUsage(await namespaces.get(request.params.id)));
      },
    );

    app.patch(
      '/v1/namespaces/:id',
      {
        schema: {
          summary: 'Change a namespace’s name, quota, limits, public delivery or transform presets (admin); stored bytes are never deleted',
          tags: ['admin'],
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              quota_bytes: Type.Optional(Type.Union([Bytes, Type.Null()])),
              limits: Type.Optional(LimitsBody),
              public_delivery: Type.Optional(Type.Boolean()),
              presets: Type.Optional(Presets),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: Ok(NamespaceWithUsage, 'The namespace after the change.'), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const { before, after } = await namespaces.update(request.params.id, request.body);
        audit(request, 'namespace.update', { namespace_id: after.id, change: request.body, before, after });
        return sendOk(reply, after);
      },
    );

    app.post(
      '/v1/keys',
      {
        schema: {
          summary: 'Create an API key for a namespace (admin); the secret is shown once',
          tags: ['admin'],
          body: Type.Object(
            { namespace_id: Type.String({ minLength: 1, maxLength: 100 }), name: Type.Optional(Type.String({ maxLength: 100 })) },
            { additionalProperties: false },
          ),
          response: { 201: Ok(CreatedKey, 'The key, with its secret shown this once.'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const key = await namespaces.createKey(request.body.namespace_id, request.body.name ?? 'default');
        audit(request, 'key.create', { namespace_id: key.namespace_id, api_key_id: key.id, name: key.name });
        return sendOk(reply, key, 201);
      },
    );

    app.get(
      '/v1/keys',
      {
        schema: {
          summary: 'List a namespace’s API keys (admin); never the secret, only its last 4 characters',
          tags: ['admin'],
          querystring: Type.Object({ namespace_id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
          response: { 200: Ok(Type.Array(KeyView), 'The keys, newest first, revoked ones included.'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        return sendOk(reply, await namespaces.listKeys(request.query.namespace_id));
      },
    );

    app.delete('/v1/keys/:id', {
      schema: {
        summary: 'Revoke an API key (admin)',
        tags: ['admin'],
        params: IdParams,
        response: { 200: Ok(Type.Object({ id: Type.String(), revoked_at: Type.String() }), 'Revoked.'), ...errors(401, 403, 404) },
      },
    }, async (request, reply) => {
      requireAdmin(request);
      const revoked = await namespaces.revokeKey(request.params.id);
      audit(request, 'key.revoke', { api_key_id: revoked.id });
      return sendOk(reply, revoked);
    });

    app.get('/v1/usage', { schema: { summary: 'Bytes stored, bytes reserved, quota and upload rules (largest file per kind, accepted types) of the caller’s namespace', description: 'Called with a namespace key, about that key\'s own namespace; an admin key is 403 (admins read GET /v1/namespaces/{id}).', tags: ['namespace'], response: { 200: Ok(Usage, 'Usage.'), ...errors(401, 403) } } }, async (request, reply) =>
      sendOk(reply, await usageWithRules(namespaces, rules, tenantOf(request).namespaceId)),
    );
  };
}

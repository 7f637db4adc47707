import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Namespaces } from '../../namespaces/namespaces.js';
import { sendOk } from '../envelope.js';
import { requireAdmin, tenantOf } from '../plugins/auth.js';
import { CreatedKey, errors, NamespaceView, Ok, Usage } from '../responses.js';
import { IdParams, MAX_INTEGER } from '../schemas.js';

const Bytes = Type.Integer({ minimum: 1, maximum: MAX_INTEGER });

export function adminRoutes(namespaces: Namespaces) {
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
              limits: Type.Optional(
                Type.Object(
                  { image: Type.Optional(Bytes), video: Type.Optional(Bytes), audio: Type.Optional(Bytes), document: Type.Optional(Bytes) },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Ok(NamespaceView, 'The namespace.'), ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        return sendOk(reply, await namespaces.create(request.body), 201);
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
        return sendOk(reply, await namespaces.createKey(request.body.namespace_id, request.body.name ?? 'default'), 201);
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
      return sendOk(reply, await namespaces.revokeKey(request.params.id));
    });

    app.get('/v1/usage', { schema: { summary: 'Bytes stored, bytes reserved and quota of the caller’s namespace', tags: ['admin'], response: { 200: Ok(Usage, 'Usage.'), ...errors(401, 403) } } }, async (request, reply) =>
      sendOk(reply, await namespaces.usage(tenantOf(request).namespaceId)),
    );
  };
}

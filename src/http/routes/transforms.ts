import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Served, Transforms } from '../../assets/transforms.js';
import { TransformFields } from '../../media/transform.js';
import { sendOk } from '../envelope.js';
import { tenantOf } from '../plugins/auth.js';
import { errors, Ok } from '../responses.js';
import { IdParams } from '../schemas.js';

const MintQuery = Type.Composite([
  TransformFields,
  Type.Object({ expires_in: Type.Optional(Type.Integer({ minimum: 1, description: 'Lifetime of the URL in seconds (default INTAKE_LINK_SECONDS, at most INTAKE_MAX_LINK_SECONDS).' })) }),
], { additionalProperties: false });

/** GET /v1/assets/{id}/url: a signed transform URL (namespace key). */
export function transformUrlRoutes(transforms: Transforms) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/v1/assets/:id/url',
      {
        schema: {
          summary: 'A signed URL for an image or video frame at a size and format of your choice',
          description: 'The URL needs no key and works until `expires_at`; the image is rendered on its first request and stored (counted in the quota, removed with the asset).',
          tags: ['assets'],
          params: IdParams,
          querystring: MintQuery,
          response: { 200: Ok(Type.Object({ url: Type.String(), expires_at: Type.String() }), 'The signed URL.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { expires_in, ...params } = request.query;
        return sendOk(reply, await transforms.mintUrl(tenantOf(request), request.params.id, params, expires_in));
      },
    );
  };
}

/**
 * The images themselves, without a key: a signed URL (`/t/{asset}`) or a public
 * namespace's preset (`/p/{ns}/{alias}/t/{preset}`). Served as files are (nosniff, sandbox),
 * with an ETag of what makes the bytes, `Vary: Accept` when the format was negotiated, and a
 * Cache-Control a CDN can keep: a signed URL's bytes never change, a preset URL's may (the
 * alias can move, the preset be redefined).
 */
export function transformRoutes(transforms: Transforms) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const image = { 200: Type.Unknown({ description: 'The image.' }), 304: Type.Null({ description: 'Not modified (If-None-Match).' }) };
    app.get(
      '/t/:asset_id',
      {
        schema: {
          summary: 'An image transform by its signed URL (from GET /v1/assets/{id}/url)',
          tags: ['delivery'],
          security: [],
          params: Type.Object({ asset_id: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { ...image, ...errors(400, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query as Record<string, string | undefined>;
        const served = await transforms.serveSigned(request.params.asset_id, q, request.headers.accept);
        const left = Math.max(0, Number(q.expires) - Math.floor(Date.now() / 1000));
        return send(request, reply, served, `public, max-age=${Math.min(left, 31_536_000)}, immutable`);
      },
    );
    app.get(
      '/p/:namespace_id/:alias/t/:preset',
      {
        schema: {
          summary: 'Public delivery by alias: the namespace’s named transform preset',
          tags: ['delivery'],
          security: [],
          params: Type.Object({ namespace_id: Type.String({ minLength: 1, maxLength: 100 }), alias: Type.String({ minLength: 1, maxLength: 100 }), preset: Type.String({ minLength: 1, maxLength: 40 }) }),
          response: { ...image, ...errors(400, 404) },
        },
      },
      async (request, reply) => {
        const { namespace_id, alias, preset } = request.params;
        return send(request, reply, await transforms.servePreset(namespace_id, alias, preset, request.headers.accept), 'public, max-age=300');
      },
    );
  };
}

function send(request: FastifyRequest, reply: FastifyReply, served: Served, cacheControl: string) {
  void reply.headers({
    'Content-Type': served.mimetype,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'Cache-Control': cacheControl,
    ETag: served.etag,
    'Intake-Transform': served.rendered ? 'rendered' : 'cached',
  });
  if (served.variesByAccept) void reply.header('Vary', 'Accept');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === served.etag || t.trim() === `W/${served.etag}`)) {
    served.body.destroy();
    return reply.code(304).send();
  }
  void reply.header('Content-Length', String(served.size));
  return reply.send(served.body);
}

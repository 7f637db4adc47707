/**
 * The ittybit uploads API (docs/COMPAT.md, "ittybit"), at `/compat/ittybit`:
 * `POST /uploads` is a native session that declared no size (the bytes say), with one
 * self-authorising URL — simple: a bare form (`bare_form`, at most 64 MiB), resumable: a
 * `single_url` session whose parts are PUT with `X-Upload-Index` and finished by POST
 * `{parts}`. The store URLs here are the native `/store/*` use cases answering in ittybit's
 * shapes; `GET /media/{id}` and the delivery routes read native assets.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getAsset, getAssetByAlias, showAsset } from '../../assets/assets.js';
import { deliveryUrl, publicDeliveryById } from '../../assets/public-delivery.js';
import type { AssetRow } from '../../db/schema.js';
import { IntakeError } from '../../lib/errors.js';
import { completeUpload } from '../../uploads/complete-upload.js';
import { CONDITION_KEYS, CONDITION_OPERATORS } from '../../uploads/conditions.js';
import { createUpload, sessionDefaults, storeUrl } from '../../uploads/create-upload.js';
import { FormBodies } from '../../uploads/form-quota.js';
import { finishIndexedParts, partIndex, receiveIndexedPart } from '../../uploads/parts/store-parts.js';
import { receiveStoreForm } from '../../uploads/store-form.js';
import { envelopeError, installErrors } from '../errors.js';
import type { CompatDeps, CompatKit } from '../kit.js';
import { envelope, mediaLinks, mediaView } from './views.js';

export const ITTYBIT_BASE = '/compat/ittybit';
/** The document: "File size limit is 64MB" for a simple upload. */
const SIMPLE_MAX_BYTES = 64 * 1024 * 1024;

const Rule = Type.Object({
  key: Type.Union(CONDITION_KEYS.map((k) => Type.Literal(k))),
  operator: Type.Union(CONDITION_OPERATORS.map((o) => Type.Literal(o))),
  value: Type.Union([Type.String({ maxLength: 255 }), Type.Number()]),
});
// Fields the document does not list are ignored, not refused (docs/COMPAT.md).
const UploadsBody = Type.Object({
  resumable: Type.Optional(Type.Boolean()),
  conditions: Type.Optional(Type.Object({ operator: Type.Union([Type.Literal('&&'), Type.Literal('||')]), rules: Type.Array(Rule, { minItems: 1, maxItems: 20 }) })),
  alias: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  folder: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
const PartsBody = Type.Object({
  parts: Type.Array(Type.Object({ index: Type.Integer({ minimum: 0, maximum: 9999 }), etag: Type.String({ minLength: 1, maxLength: 200 }) }), { minItems: 1, maxItems: 10000 }),
});
const KeyQuery = Type.Object({ key: Type.Optional(Type.String({ maxLength: 2000 })) });
const MediaParams = Type.Object({ media_id: Type.String({ minLength: 1, maxLength: 100 }) });

export function ittybitRoutes({ ctx, config }: CompatDeps) {
  const base = `${config.http.publicUrl}${ITTYBIT_BASE}`;
  const bodies = new FormBodies();
  const keyOf = (request: FastifyRequest) => (request.query as Static<typeof KeyQuery>).key;

  return async (app: FastifyInstance, kit: CompatKit) => {
    await app.register(
      async (scope) => {
        installErrors(scope, kit, { body: envelopeError });
        // A part's bytes are streamed from the request, never parsed (JSON and forms still are).
        scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
        const hide = { hide: true } as const;

        /** The media an upload made, in the document's shape (verified and completed first). */
        const answerMedia = async (request: FastifyRequest, reply: FastifyReply, asset: AssetRow | null) => {
          if (!asset) throw new IntakeError('conflict', 'The upload made no media.');
          return reply.send(envelope(request, 200, mediaView(await showAsset(ctx, asset), base), mediaLinks(asset.id), 'media'));
        };
        const keyless = async (request: FastifyRequest, reply: FastifyReply) => {
          await kit.byAddress(request, reply);
          void reply.headers({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag, X-Request-Id' });
        };

        scope.post(
          '/uploads',
          {
            schema: { ...hide, body: UploadsBody },
            // The document's call sends no body at all.
            preValidation: async (request) => {
              request.body ??= {};
            },
          },
          async (request, reply) => {
            const tenant = await kit.tenant(request, reply);
            const body = request.body as Static<typeof UploadsBody>;
            const resumable = body.resumable === true;
            const created = await createUpload(ctx, tenant, {
              ...sessionDefaults({ filename: body.filename ?? stringField(body.metadata?.filename) }),
              alias: body.alias,
              metadata: body.metadata,
              folder: body.folder,
              conditions: body.conditions,
              ...(resumable ? { single_url: true } : { bare_form: true, max_size: SIMPLE_MAX_BYTES }),
            });
            if ('skipped' in created) throw new IntakeError('conflict', 'unreachable: no skip was asked');
            const u = created.upload;
            ctx.observer?.created(u.kind);
            const url = storeUrl(ctx, u, resumable ? 'PUT' : 'POST', `${ITTYBIT_BASE}/store/${resumable ? 'resumable' : 'single'}`);
            return reply.send(envelope(request, 200, { id: u.id, url, resumable, expires: u.expires_at }));
          },
        );

        scope.options('/store/:kind', { schema: hide }, async (_request, reply) =>
          reply.code(204).headers({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'PUT, POST', 'Access-Control-Allow-Headers': 'Content-Type, X-Upload-Index', 'Access-Control-Max-Age': '600' }).send(),
        );

        scope.post('/store/single', { schema: { ...hide, querystring: KeyQuery }, onRequest: keyless }, async (request, reply) => {
          if (!request.isMultipart()) throw new IntakeError('invalid_request', 'Send multipart/form-data with the file in "file".', { field: 'file' });
          const { upload } = await kit.gate.admit(() => receiveStoreForm(ctx, keyOf(request), kit.formParts(request), (id, fn) => kit.gate.exclusive(id, fn), bodies));
          const { asset } = await completeUpload(ctx, { namespaceId: upload.namespace_id }, upload.id);
          return answerMedia(request, reply, asset);
        });

        scope.put('/store/resumable', { schema: { ...hide, querystring: KeyQuery }, onRequest: keyless }, async (request, reply) => {
          const index = partIndex(request.headers['x-upload-index']);
          const length = /^\d+$/.test(request.headers['content-length'] ?? '') ? Number(request.headers['content-length']) : undefined;
          const part = await kit.gate.admit(() =>
            receiveIndexedPart(ctx, keyOf(request), index, length, request.raw, (id, fn) => kit.gate.exclusive(id, fn)),
          );
          return reply.header('ETag', part.etag).send(envelope(request, 200, { index: part.index, etag: part.etag }));
        });

        scope.post('/store/resumable', { schema: { ...hide, querystring: KeyQuery, body: PartsBody }, onRequest: keyless }, async (request, reply) => {
          const { asset } = await finishIndexedParts(ctx, keyOf(request), (request.body as Static<typeof PartsBody>).parts);
          return answerMedia(request, reply, asset);
        });

        scope.get('/media/:media_id', { schema: { ...hide, params: MediaParams } }, async (request, reply) => {
          const tenant = await kit.tenant(request, reply);
          const asset = await getAsset(ctx, tenant, (request.params as Static<typeof MediaParams>).media_id);
          return reply.send(envelope(request, 200, mediaView(await showAsset(ctx, asset), base), mediaLinks(asset.id), 'media'));
        });

        // Delivery: with a namespace key, any of its media; without one, media of namespaces with public_delivery (by id).
        scope.get('/:media_id/original', { schema: { ...hide, params: MediaParams } }, async (request, reply) => {
          const id = (request.params as Static<typeof MediaParams>).media_id;
          if (!request.headers.authorization) {
            await kit.byAddress(request, reply);
            return reply.redirect(await publicDeliveryById(ctx, id, 'original'), 302);
          }
          const tenant = await kit.tenant(request, reply);
          return reply.redirect(await deliveryUrl(ctx, await getAsset(ctx, tenant, id), 'original'), 302);
        });

        scope.get('/*', { schema: hide }, async (request, reply) => {
          // `/{alias}/` as the document writes it (the trailing slash may be dropped on the way).
          const alias = (request.params as { '*': string })['*'].replace(/\/$/, '');
          if (!alias) throw new IntakeError('not_found', 'Not found.');
          const tenant = await kit.tenant(request, reply);
          const asset = await getAssetByAlias(ctx, tenant.namespaceId, alias);
          return reply.redirect(await deliveryUrl(ctx, asset), 302);
        });
      },
      { prefix: ITTYBIT_BASE },
    );
  };
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : undefined;
}

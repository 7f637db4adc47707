import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { deleteAsset, getAsset, getAssetByAlias, listAssets, patchAsset, showAsset } from '../../assets/assets.js';
import { createAssetFromUploads } from '../../assets/create-asset.js';
import type { AppContext } from '../../core/context.js';
import { sendOk } from '../envelope.js';
import { tenantOf } from '../plugins/auth.js';
import { AssetView, errors, Ok } from '../responses.js';
import { AssetStatus, CreateAssetBody, IdParams, Kind, ListQuery, PatchAssetBody } from '../schemas.js';

/** `expires_in`: how long the signed links in the answer live, in seconds (bounded by INTAKE_MAX_LINK_SECONDS). */
const LinkQuery = Type.Object(
  { expires_in: Type.Optional(Type.Integer({ minimum: 1, description: 'Lifetime of the signed links in the answer, in seconds (default INTAKE_LINK_SECONDS, at most INTAKE_MAX_LINK_SECONDS).' })) },
  { additionalProperties: false },
);

export function assetRoutes(deps: AppContext) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/v1/assets',
      {
        schema: {
          summary: 'List media assets, newest first',
          tags: ['assets'],
          querystring: Type.Composite(
            [ListQuery, LinkQuery, Type.Object({ folder: Type.Optional(Type.String({ maxLength: 255 })), kind: Type.Optional(Kind), status: Type.Optional(AssetStatus) })],
            { additionalProperties: false },
          ),
          response: { 200: Ok(Type.Array(AssetView), 'Assets, newest first; meta.next_cursor pages on.'), ...errors(400, 401) },
        },
      },
      async (request, reply) => {
        const { expires_in, ...q } = request.query;
        const page = await listAssets(deps, tenantOf(request), q);
        const items = await Promise.all(page.items.map((row) => showAsset(deps, row, expires_in)));
        return sendOk(reply, items, 200, { next_cursor: page.nextCursor });
      },
    );

    app.post(
      '/v1/assets',
      {
        schema: {
          summary: 'Build one asset from completed uploads made with create_asset: false',
          tags: ['assets'],
          body: CreateAssetBody,
          response: { 201: Ok(AssetView, 'The asset: the original plus one source per other upload.'), ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => sendOk(reply, await showAsset(deps, await createAssetFromUploads(deps, tenantOf(request), request.body)), 201),
    );

    app.get(
      '/v1/assets/by-alias/:alias',
      {
        schema: {
          summary: 'The asset holding an alias',
          tags: ['assets'],
          params: Type.Object({ alias: Type.String({ minLength: 1, maxLength: 100 }) }),
          querystring: LinkQuery,
          response: { 200: Ok(AssetView, 'The asset.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => sendOk(reply, await showAsset(deps, await getAssetByAlias(deps, tenantOf(request).namespaceId, request.params.alias), request.query.expires_in)),
    );

    app.get('/v1/assets/:id', { schema: { summary: 'A media asset with its sources', tags: ['assets'], params: IdParams, querystring: LinkQuery, response: { 200: Ok(AssetView, 'The asset.'), ...errors(400, 401, 404) } } }, async (request, reply) =>
      sendOk(reply, await showAsset(deps, await getAsset(deps, tenantOf(request), request.params.id), request.query.expires_in)),
    );

    app.patch(
      '/v1/assets/:id',
      { schema: { summary: 'Edit title, metadata, alias or folder', tags: ['assets'], params: IdParams, body: PatchAssetBody, response: { 200: Ok(AssetView, 'The edited asset.'), ...errors(400, 401, 404, 409) } } },
      async (request, reply) => sendOk(reply, await showAsset(deps, await patchAsset(deps, tenantOf(request), request.params.id, request.body))),
    );

    app.delete(
      '/v1/assets/:id',
      { schema: { summary: 'Delete an asset: the record, its renditions and (when unshared) its original bytes', tags: ['assets'], params: IdParams, response: { 200: Ok(Type.Object({ id: Type.String(), object: Type.Literal('media'), deleted: Type.Boolean() }), 'Deleted.'), ...errors(401, 404, 409) } } },
      async (request, reply) => {
        const asset = await deleteAsset(deps, tenantOf(request), request.params.id);
        return sendOk(reply, { id: asset.id, object: 'media', deleted: true });
      },
    );
  };
}

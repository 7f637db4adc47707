/**
 * MediaKit's upload pipeline (docs/COMPAT.md, "MediaKit"): presign → PUT → complete
 * `{asset_id, key}` → DELETE. A presign is a native JSON session (single PUT, no
 * If-None-Match so the client's Content-Type is the only header); complete is the native
 * complete (image ready at once, video processing with its transcode queued); DELETE is
 * the native asset delete.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { deleteAsset, getAsset, showAsset } from '../../assets/assets.js';
import { invalid } from '../../lib/errors.js';
import { completeUpload } from '../../uploads/complete-upload.js';
import { createUpload } from '../../uploads/create-upload.js';
import { originalKey } from '../../uploads/limits.js';
import { envelopeError, installErrors } from '../errors.js';
import type { CompatDeps, CompatKit } from '../kit.js';

export const MEDIAKIT_BASE = '/api/mediakit/uploads';

// Fields the document does not list are ignored, not refused (real clients send extra ones).
const PresignBody = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 255 }),
  content_type: Type.String({ minLength: 1, maxLength: 255 }),
  file_size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  asset_type: Type.Optional(Type.Union([Type.Literal('video'), Type.Literal('image')])),
  title: Type.Optional(Type.String({ maxLength: 200 })),
});
const CompleteBody = Type.Object({
  asset_id: Type.String({ minLength: 1, maxLength: 100 }),
  key: Type.String({ minLength: 1, maxLength: 1000 }),
});
const AssetParams = Type.Object({ asset_id: Type.String({ minLength: 1, maxLength: 100 }) });

/** MediaKit carries videos and images only. */
const KINDS = ['video', 'image'];

export function mediakitRoutes({ ctx }: CompatDeps) {
  return async (app: FastifyInstance, kit: CompatKit) => {
    installErrors(app, kit, { body: envelopeError });
    const hide = { hide: true } as const;

    app.post(`${MEDIAKIT_BASE}/presign`, { schema: { ...hide, body: PresignBody } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const body = request.body as Static<typeof PresignBody>;
      const kind = body.asset_type ?? ctx.types.kindOf(body.content_type.toLowerCase());
      if (!KINDS.includes(kind)) throw invalid(`MediaKit uploads videos and images; ${body.content_type} is neither.`, 'content_type');
      const created = await createUpload(ctx, tenant, {
        filename: body.filename,
        content_type: body.content_type,
        file_size: body.file_size,
        kind: kind as 'video' | 'image',
        title: body.title,
        resumable: false,
        skip_duplicates: false,
        if_none_match: false,
      });
      if ('skipped' in created) throw new Error('unreachable: no alias was sent');
      const u = created.upload;
      ctx.observer?.created(u.kind);
      return reply.code(200).send({
        upload_url: u.upload_url,
        key: u.key,
        asset_id: u.asset_id,
        upload_id: u.upload_id,
        expires_in: u.expires_in,
        max_size: u.max_size,
        headers: u.upload_method && 'headers' in u.upload_method ? u.upload_method.headers : { 'Content-Type': body.content_type },
        provider: u.provider,
      });
    });

    app.post(`${MEDIAKIT_BASE}/complete`, { schema: { ...hide, body: CompleteBody } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const body = request.body as Static<typeof CompleteBody>;
      const pending = await getAsset(ctx, tenant, body.asset_id);
      if (body.key !== originalKey(tenant.namespaceId, pending.upload_id)) throw invalid('key is not the one presign returned for this asset.', 'key');
      const { asset } = await completeUpload(ctx, tenant, pending.upload_id);
      const view = await showAsset(ctx, asset!);
      return reply.send({ asset_id: view.id, key: body.key, ...view });
    });

    app.delete(`${MEDIAKIT_BASE}/:asset_id`, { schema: { ...hide, params: AssetParams } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const { asset_id } = request.params as Static<typeof AssetParams>;
      const gone = await deleteAsset(ctx, tenant, asset_id);
      return reply.send({ deleted: true, asset_id: gone.id });
    });
  };
}

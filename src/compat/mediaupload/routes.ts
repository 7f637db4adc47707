/**
 * The media-upload API (docs/COMPAT.md, "Media upload"): `POST /media/upload` is a native
 * session — images get Intake's own form URL taking only `file` (`bare_form`), video and
 * documents a PUT URL needing only Content-Type — named by the session's UUID;
 * `POST /media/{media_id}/complete` is the native complete. Answers in the document's
 * envelope (`data`, `error`, `meta`), which is Intake's own.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { showAsset } from '../../assets/assets.js';
import { IntakeError, invalid } from '../../lib/errors.js';
import { completeUpload } from '../../uploads/complete-upload.js';
import { createUpload } from '../../uploads/create-upload.js';
import { getUpload } from '../../uploads/read-uploads.js';
import { uploadView } from '../../uploads/views.js';
import { envelopeError, installErrors } from '../errors.js';
import type { CompatDeps, CompatKit } from '../kit.js';

/** The document's table of supported types and their categories. */
const CATEGORIES: Record<string, 'image' | 'video' | 'document'> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'image/heic': 'image',
  'image/heif': 'image',
  'video/mp4': 'video',
  'application/pdf': 'document',
};

const Num = (o: { minimum?: number } = {}) => Type.Number({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...o });
const UploadBody = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 255 }),
  content_type: Type.String({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  width: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  height: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  duration: Type.Optional(Num()),
});
const MediaParams = Type.Object({ media_id: Type.String({ minLength: 1, maxLength: 100 }) });

const envelope = (request: FastifyRequest, data: unknown) => ({ data, error: null, meta: { request_id: request.id, timestamp: new Date().toISOString() } });

export function mediauploadRoutes({ ctx, config }: CompatDeps) {
  const maxSize = { image: config.http.mediaUploadMaxBytes, document: config.http.mediaUploadMaxBytes, video: config.http.mediaUploadMaxVideoBytes };
  return async (app: FastifyInstance, kit: CompatKit) => {
    // The document lists 400 for any invalid parameter, sizes and types included.
    installErrors(app, kit, {
      status: (err, native) => (err.code === 'file_too_large' || err.code === 'unsupported_media_type' ? 400 : native),
      body: envelopeError,
    });
    const hide = { hide: true } as const;

    app.post('/media/upload', { schema: { ...hide, body: UploadBody } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const body = request.body as Static<typeof UploadBody>;
      const contentType = body.content_type.toLowerCase().split(';')[0]!.trim();
      const category = CATEGORIES[contentType];
      if (!category) throw invalid(`content_type must be one of ${Object.keys(CATEGORIES).join(', ')}.`, 'content_type');
      const max = maxSize[category];
      if (body.size > max) throw invalid(`size is over the ${max} bytes allowed for a ${category}.`, 'size', { max_size: max });
      const image = category === 'image';
      const created = await createUpload(ctx, tenant, {
        filename: body.filename,
        content_type: contentType,
        file_size: body.size,
        width: body.width,
        height: body.height,
        duration: body.duration,
        resumable: false,
        skip_duplicates: false,
        if_none_match: false,
        ...(image ? { bare_form: true } : { method: 'PUT' as const }),
      });
      if ('skipped' in created) throw new IntakeError('conflict', 'unreachable: no alias was sent');
      const u = created.upload;
      ctx.observer?.created(u.kind);
      return reply.code(201).send(
        envelope(request, {
          media_id: u.uuid,
          upload_url: u.upload_url,
          upload_method: image
            ? { method: 'POST', content_type: 'multipart/form-data', field_name: 'file' }
            : { method: 'PUT', content_type: contentType, headers: { 'Content-Type': contentType } },
          provider: image ? 'intake' : u.provider,
          expires_in: u.expires_in,
          max_size: max,
          next_step: 'Upload your file to upload_url, then call POST /media/{media_id}/complete to finalize.',
        }),
      );
    });

    app.post('/media/:media_id/complete', { schema: { ...hide, params: MediaParams } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const session = await getUpload(ctx, tenant, (request.params as Static<typeof MediaParams>).media_id);
      const { upload, asset } = await completeUpload(ctx, tenant, session.id);
      const view = asset ? await showAsset(ctx, asset) : null;
      return reply.send(envelope(request, { media_id: upload.uuid, status: view?.status ?? upload.status, upload: uploadView(upload), media: view }));
    });
  };
}

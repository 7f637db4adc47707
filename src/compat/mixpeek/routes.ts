/**
 * Mixpeek's bucket uploads (docs/COMPAT.md, "Mixpeek"), under /compat/mixpeek: a presigned
 * upload is a native session into a bucket (its checks run before signing; without
 * `file_size`, a `store_put` session whose size its bytes say), confirm is the native
 * complete (async: a task), an object from several uploads is the native asset from
 * `create_asset: false` uploads. Every rule is the core's; this file maps names and shapes.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAssetFromUploads } from '../../assets/create-asset.js';
import type { Tenant } from '../../auth/principal.js';
import type { AssetRow, UploadRow } from '../../db/schema.js';
import { IntakeError, invalid, notFound } from '../../lib/errors.js';
import { completeUpload } from '../../uploads/complete-upload.js';
import { createUpload, currentNamespace } from '../../uploads/create-upload.js';
import { cancelUpload, getUpload } from '../../uploads/read-uploads.js';
import { sizeDeferred } from '../../uploads/streamed-quota.js';
import { completeAsTask, getTask, recordTask } from '../../uploads/tasks.js';
import { installErrors } from '../errors.js';
import type { CompatDeps, CompatKit } from '../kit.js';
import { mixpeekError, mixpeekObject, mixpeekUpload, taskStatus } from './views.js';

export const MIXPEEK_BASE = '/compat/mixpeek/v1';

const Obj = Type.Record(Type.String(), Type.Unknown());
// The request model's fields; others are ignored, not refused (real clients send extra ones).
const UploadBody = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 255 }),
  content_type: Type.String({ minLength: 1, maxLength: 255 }),
  file_size: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  presigned_url_expiration: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
  metadata: Type.Optional(Obj),
  create_object_on_confirm: Type.Optional(Type.Boolean()),
  object_metadata: Type.Optional(Obj),
  blob_property: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  blob_type: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  file_hash: Type.Optional(Type.String({ pattern: '^[A-Fa-f0-9]{64}$' })),
  skip_duplicates: Type.Optional(Type.Boolean()),
});
const ConfirmBody = Type.Union([Type.Object({ etag: Type.Optional(Type.String({ maxLength: 200 })), async: Type.Optional(Type.Boolean()) }), Type.Null()]);
const ObjectBody = Type.Object({
  upload_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 20 })),
  blobs: Type.Optional(Type.Array(Type.Object({ upload_id: Type.String({ minLength: 1, maxLength: 100 }), property: Type.Optional(Type.String({ maxLength: 64 })) }), { minItems: 1, maxItems: 20 })),
  metadata: Type.Optional(Obj),
});
const Id = Type.String({ minLength: 1, maxLength: 100 });
const BucketParams = Type.Object({ bucket_id: Id });
const UploadParams = Type.Object({ upload_id: Id });
const BucketUploadParams = Type.Object({ bucket_id: Id, upload_id: Id });
const TaskParams = Type.Object({ task_id: Id });

export function mixpeekRoutes({ ctx }: CompatDeps) {
  return async (app: FastifyInstance, kit: CompatKit) => {
    // What the request model refuses (types, ranges, required fields) is FastAPI's 422; a rule's refusal its native status.
    installErrors(app, kit, {
      status: (err, native) => (err.details.request_model === true ? 422 : err.code === 'file_too_large' || err.code === 'unsupported_media_type' ? 400 : native),
      body: mixpeekError,
    });
    const hide = { hide: true } as const;

    /** The key's tenant, the X-Namespace it must name (400 missing, 404 another), then the request model. */
    async function tenantOf(request: FastifyRequest, reply: FastifyReply): Promise<Tenant> {
      const tenant = await kit.tenant(request, reply);
      const named = request.headers['x-namespace'];
      if (typeof named !== 'string' || named.trim() === '') throw invalid('X-Namespace is required: the namespace name or id.', 'X-Namespace');
      const namespace = await currentNamespace(ctx, tenant);
      if (named !== namespace.id && named !== namespace.name) throw new IntakeError('not_found', `Namespace "${named}" not found for this key.`, { field: 'X-Namespace' });
      if (request.validationError) {
        const known = kit.contractError(request.validationError);
        if (known) throw new IntakeError(...([known.code, known.message, { ...known.details, request_model: true }] as ConstructorParameters<typeof IntakeError>));
        throw request.validationError;
      }
      return tenant;
    }

    const objectOf = async (tenant: Tenant, row: UploadRow): Promise<AssetRow | null> =>
      row.asset_id ? ((await ctx.store.assets.find(tenant.namespaceId, row.asset_id)) ?? null) : null;

    app.post(`${MIXPEEK_BASE}/buckets/:bucket_id/uploads`, { schema: { ...hide, params: BucketParams, body: UploadBody }, attachValidation: true }, async (request, reply) => {
      const tenant = await tenantOf(request, reply);
      const { bucket_id } = request.params as Static<typeof BucketParams>;
      const body = request.body as Static<typeof UploadBody>;
      // Without file_size the URL is Intake's own, which bounds the bytes and takes quota as they stream (docs/COMPAT.md).
      const sized = body.file_size !== undefined;
      const createsObject = body.create_object_on_confirm !== false;
      const created = await createUpload(ctx, tenant, {
        filename: body.filename,
        content_type: body.content_type,
        file_size: body.file_size,
        expires_in: body.presigned_url_expiration ?? 3600,
        create_asset: createsObject,
        metadata: createsObject ? body.object_metadata : undefined,
        upload_metadata: body.metadata,
        bucket_id,
        bucket_property: body.blob_property,
        bucket_type: body.blob_type,
        file_hash: body.file_hash,
        skip_duplicates: body.skip_duplicates,
        resumable: false,
        method: 'PUT',
        if_none_match: false,
        store_put: !sized,
      });
      if ('skipped' in created) {
        return reply.send({ upload_id: null, bucket_id, filename: body.filename, content_type: body.content_type, status: 'SKIPPED', presigned_url: null, is_duplicate: false, skipped_unique_key: true, existing_object_id: created.skipped.existing_asset_id, message: created.skipped.next_step });
      }
      ctx.observer?.created(created.upload.kind);
      const row = (await ctx.store.uploads.find(tenant.namespaceId, created.upload.id))!;
      const view = mixpeekUpload(row, { presigned_url: created.upload.upload_url, object: await objectOf(tenant, row), sizeUnknown: !sized && !created.duplicate });
      const headers = created.upload.upload_method && 'headers' in created.upload.upload_method ? created.upload.upload_method.headers : {};
      return reply.send({ ...view, upload_headers: headers, provider: created.upload.provider });
    });

    async function confirm(request: FastifyRequest, reply: FastifyReply, bucketId?: string) {
      const tenant = await tenantOf(request, reply);
      const { upload_id } = request.params as Static<typeof UploadParams>;
      const session = await getUpload(ctx, tenant, upload_id);
      if (bucketId !== undefined && session.bucket_id !== bucketId) throw notFound('Upload');
      const body = (request.body ?? {}) as { etag?: string; async?: boolean };
      if (body.async) {
        const queued = await completeAsTask(ctx, tenant, session.id, { etag: body.etag });
        if (queued) return reply.send(mixpeekUpload(queued.upload, { task_id: queued.task.id }));
      }
      const { upload, asset } = await completeUpload(ctx, tenant, session.id, { etag: body.etag });
      // Confirmed at once (an ETag to check, or a session already settled): the task is done when it is made.
      const task = body.async ? await recordTask(ctx, tenant, upload.id) : null;
      return reply.send({ ...mixpeekUpload(upload, { object: asset, task_id: task?.id }), etag: upload.received_etag ?? body.etag ?? null });
    }
    const confirmSchema = { ...hide, body: ConfirmBody };
    app.post(`${MIXPEEK_BASE}/buckets/:bucket_id/uploads/:upload_id/confirm`, { schema: { ...confirmSchema, params: BucketUploadParams }, attachValidation: true }, (request, reply) =>
      confirm(request, reply, (request.params as Static<typeof BucketUploadParams>).bucket_id),
    );
    app.post(`${MIXPEEK_BASE}/uploads/:upload_id/confirm`, { schema: { ...confirmSchema, params: UploadParams }, attachValidation: true }, (request, reply) => confirm(request, reply));

    app.get(`${MIXPEEK_BASE}/uploads/:upload_id`, { schema: { ...hide, params: UploadParams }, attachValidation: true }, async (request, reply) => {
      const tenant = await tenantOf(request, reply);
      const row = await getUpload(ctx, tenant, (request.params as Static<typeof UploadParams>).upload_id);
      const task = await ctx.store.tasks.latestOf(row.id);
      return reply.send(mixpeekUpload(row, { object: await objectOf(tenant, row), task_id: task?.id, sizeUnknown: await sizeDeferred(ctx, row) }));
    });

    app.delete(`${MIXPEEK_BASE}/uploads/:upload_id`, { schema: { ...hide, params: UploadParams }, attachValidation: true }, async (request, reply) => {
      const tenant = await tenantOf(request, reply);
      const row = await cancelUpload(ctx, tenant, (request.params as Static<typeof UploadParams>).upload_id);
      return reply.send({ ...mixpeekUpload(row, { sizeUnknown: await sizeDeferred(ctx, row) }), message: 'Upload canceled.' });
    });

    app.post(`${MIXPEEK_BASE}/buckets/:bucket_id/objects`, { schema: { ...hide, params: BucketParams, body: ObjectBody }, attachValidation: true }, async (request, reply) => {
      const tenant = await tenantOf(request, reply);
      const { bucket_id } = request.params as Static<typeof BucketParams>;
      const body = request.body as Static<typeof ObjectBody>;
      const ids = body.blobs?.map((b) => b.upload_id) ?? body.upload_ids;
      if (!ids) throw invalid('Send upload_ids (or blobs with upload_id): the confirmed uploads that make the object.', 'upload_ids');
      // Each file is labelled on the asset by the property its upload was made for (the first is the original).
      const rows = await Promise.all(ids.map((id) => ctx.store.uploads.find(tenant.namespaceId, id)));
      const asset = await createAssetFromUploads(ctx, tenant, {
        uploads: ids.map((upload_id, i) => (i === 0 ? { upload_id } : { upload_id, label: rows[i]?.bucket_property ?? undefined })),
        metadata: body.metadata,
        bucket_id,
      });
      const sources = await ctx.store.assets.listSources(asset.id);
      const byLabel = Object.fromEntries(ids.slice(1).map((id, i) => [rows[i + 1]?.bucket_property ?? '', id]));
      return reply.send(mixpeekObject(asset, rows[0]?.bucket_property ?? null, sources, byLabel));
    });

    app.get(`${MIXPEEK_BASE}/tasks/:task_id`, { schema: { ...hide, params: TaskParams }, attachValidation: true }, async (request, reply) => {
      const tenant = await tenantOf(request, reply);
      const t = await getTask(ctx, tenant, (request.params as Static<typeof TaskParams>).task_id);
      const upload = mixpeekUpload(t.upload, { object: t.asset, task_id: t.task.id });
      return reply.send({
        task_id: t.task.id,
        task_type: 'upload_confirm',
        status: taskStatus(t.status),
        upload_id: t.upload.id,
        result: t.status === 'completed' ? upload : null,
        error: t.status === 'failed' ? upload.error : null,
        created_at: t.task.created_at,
      });
    });
  };
}

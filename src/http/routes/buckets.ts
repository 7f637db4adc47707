/** `/v1/buckets`: a namespace's buckets (src/buckets/), and `/v1/tasks/{id}`: an async complete's state. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { FIELD_TYPES } from '../../buckets/bucket-fields.js';
import { bucketView, createBucket, deleteBucket, getBucket, listBuckets, updateBucket } from '../../buckets/buckets.js';
import type { AppContext } from '../../core/context.js';
import { Nullable } from '../../lib/nullable.js';
import { getTask, TASK_STATUSES } from '../../uploads/tasks.js';
import { uploadView, UploadView } from '../../uploads/views.js';
import { sendOk } from '../envelope.js';
import { tenantOf } from '../plugins/auth.js';
import { errors, Ok } from '../responses.js';
import { IdParams, ListQuery } from '../schemas.js';

const FieldType = Type.Union(FIELD_TYPES.map((t) => Type.Literal(t)));
const Schema = Type.Object(
  { properties: Type.Record(Type.String({ maxLength: 64 }), Type.Object({ type: FieldType }, { additionalProperties: false }), { maxProperties: 50 }) },
  { additionalProperties: false, description: 'Typed properties: file properties (video, image, audio, text, pdf, document) and metadata ones (string, number, boolean).' },
);
const UniqueKey = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 10, description: 'Metadata fields no two assets of the bucket share.' });
const Name = Type.String({ minLength: 1, maxLength: 100 });

const Bucket = Type.Object({
  id: Type.String(),
  object: Type.Literal('bucket'),
  name: Type.String(),
  active: Type.Boolean(),
  schema: Nullable(Schema),
  unique_key: Nullable(UniqueKey),
  created_at: Type.String(),
  updated_at: Type.String(),
}, { title: 'Bucket' });

const Task = Type.Object({
  id: Type.String(),
  object: Type.Literal('task'),
  status: Type.Union(TASK_STATUSES.map((s) => Type.Literal(s))),
  upload_id: Type.String(),
  asset_id: Nullable(Type.String()),
  upload: UploadView,
  created_at: Type.String(),
}, { title: 'Task' });

export function bucketRoutes(deps: AppContext) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['buckets'];

    app.post(
      '/v1/buckets',
      {
        schema: {
          summary: 'Create a bucket',
          tags,
          body: Type.Object({ name: Name, active: Type.Optional(Type.Boolean()), schema: Type.Optional(Nullable(Schema)), unique_key: Type.Optional(Nullable(UniqueKey)) }, { additionalProperties: false }),
          response: { 201: Ok(Bucket, 'Created.'), ...errors(400, 401, 409) },
        },
      },
      async (request, reply) => sendOk(reply, bucketView(await createBucket(deps, tenantOf(request), request.body)), 201),
    );

    app.get(
      '/v1/buckets',
      { schema: { summary: 'List buckets, newest first', tags, querystring: ListQuery, response: { 200: Ok(Type.Array(Bucket), 'Buckets; meta.next_cursor pages on.'), ...errors(400, 401) } } },
      async (request, reply) => {
        const page = await listBuckets(deps, tenantOf(request), request.query);
        return sendOk(reply, page.items.map(bucketView), 200, { next_cursor: page.nextCursor });
      },
    );

    app.get('/v1/buckets/:id', { schema: { summary: 'A bucket', tags, params: IdParams, response: { 200: Ok(Bucket, 'The bucket.'), ...errors(401, 404) } } }, async (request, reply) =>
      sendOk(reply, bucketView(await getBucket(deps, tenantOf(request), request.params.id))),
    );

    app.patch(
      '/v1/buckets/:id',
      {
        schema: {
          summary: 'Rename, (de)activate or change the schema of a bucket',
          tags,
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), active: Type.Optional(Type.Boolean()), schema: Type.Optional(Nullable(Schema)), unique_key: Type.Optional(Type.Unknown()) }, { additionalProperties: false, minProperties: 1 }),
          response: { 200: Ok(Bucket, 'The bucket as changed.'), ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => sendOk(reply, bucketView(await updateBucket(deps, tenantOf(request), request.params.id, request.body))),
    );

    app.delete('/v1/buckets/:id', { schema: { summary: 'Delete an empty bucket', tags, params: IdParams, response: { 200: Ok(Bucket, 'Deleted.'), ...errors(401, 404, 409) } } }, async (request, reply) =>
      sendOk(reply, bucketView(await deleteBucket(deps, tenantOf(request), request.params.id))),
    );

    app.get(
      '/v1/tasks/:id',
      { schema: { summary: 'State of an async complete', tags: ['uploads'], params: IdParams, response: { 200: Ok(Task, 'The task; its state is its upload\'s.'), ...errors(401, 404) } } },
      async (request, reply) => {
        const t = await getTask(deps, tenantOf(request), request.params.id);
        return sendOk(reply, { id: t.task.id, object: 'task' as const, status: t.status, upload_id: t.upload.id, asset_id: t.asset?.id ?? null, upload: uploadView(t.upload), created_at: t.task.created_at });
      },
    );
  };
}

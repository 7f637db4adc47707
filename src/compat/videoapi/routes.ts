/**
 * The Video Uploads API (docs/COMPAT.md, "Video Uploads API"): a multipart form with
 * `video` and `folder` is a native form upload restricted to video (the `kind` form
 * field); ids are the sessions' UUIDs; status numbers are the native status codes, which
 * this API's table is (1 pending, 3 processing, 5 uploading, 6 completed, 7 failed).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UploadRow } from '../../db/schema.js';
import { invalid, notFound } from '../../lib/errors.js';
import type { FormPart } from '../../uploads/form-upload.js';
import { formUpload } from '../../uploads/form-upload.js';
import { getUpload, listUploads } from '../../uploads/read-uploads.js';
import { envelopeError, installErrors } from '../errors.js';
import type { CompatDeps, CompatKit } from '../kit.js';

export const VIDEOAPI_BASE = '/api/client/v1/uploads';

/** The document's status table, from the native session status. */
const STATUS: Record<UploadRow['status'], [number, string]> = {
  pending: [1, 'pending'],
  uploading: [1, 'pending'],
  processing: [3, 'processing'],
  storing: [5, 'uploading'],
  completed: [6, 'completed'],
  failed: [7, 'failed'],
  canceled: [7, 'failed'],
  expired: [7, 'failed'],
};

function statusOf(row: UploadRow) {
  const [status, status_text] = STATUS[row.status];
  return { id: row.uuid ?? row.id, filename: row.filename, status, status_text };
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/**
 * The document's form as a native one: `kind=video` first, `video` as `file`, `folder`
 * as is; other fields are ignored (a stray file is read and dropped). Both fields are
 * required: missing either, the generator throws at the end and formUpload discards what
 * it stored.
 */
async function* asNativeForm(parts: AsyncGenerator<FormPart>): AsyncGenerator<FormPart> {
  yield { type: 'field', name: 'kind', value: 'video' };
  let folder = false;
  let video = false;
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.name !== 'folder') continue;
      folder = true;
      yield part;
    } else if (part.name === 'video') {
      video = true;
      yield { ...part, name: 'file' };
    } else {
      part.stream.resume();
    }
  }
  if (!video) throw invalid('The form has no "video" file.', 'video');
  if (!folder) throw invalid('The form has no "folder" field.', 'folder');
}

export function videoapiRoutes({ ctx }: CompatDeps) {
  return async (app: FastifyInstance, kit: CompatKit) => {
    installErrors(app, kit, { body: envelopeError });
    const hide = { hide: true } as const;

    app.post(VIDEOAPI_BASE, { schema: hide }, async (request: FastifyRequest, reply) => {
      const tenant = await kit.tenant(request, reply);
      if (!request.isMultipart()) throw invalid('Send multipart/form-data with the fields "video" and "folder".', 'video');
      const length = Number(request.headers['content-length']);
      const upload = await kit.gate.admit(() => formUpload(ctx, tenant, asNativeForm(kit.formParts(request)), Number.isFinite(length) ? length : undefined));
      ctx.observer?.created(upload.kind);
      const { filename: _f, ...data } = statusOf(upload);
      return reply.code(202).send({ message: 'Upload accepted and is now being processed.', data });
    });

    app.get(VIDEOAPI_BASE, { schema: hide }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const page = await listUploads(ctx, tenant, { limit: 50, kind: 'video' });
      return reply.send({ data: page.items.map((row) => ({ ...statusOf(row), created_at: row.created_at, updated_at: row.updated_at })) });
    });

    app.get(`${VIDEOAPI_BASE}/:id`, { schema: { ...hide, params: IdParams } }, async (request, reply) => {
      const tenant = await kit.tenant(request, reply);
      const row = await getUpload(ctx, tenant, (request.params as Static<typeof IdParams>).id);
      if (row.kind !== 'video') throw notFound('Upload');
      return reply.send({ data: { ...statusOf(row), created_at: row.created_at, updated_at: row.updated_at } });
    });
  };
}

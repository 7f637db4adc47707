import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { showAsset } from '../../assets/assets.js';
import type { Background } from '../../lib/background.js';
import { IntakeError } from '../../lib/errors.js';
import { completeUpload, type CompleteInput } from '../../uploads/complete-upload.js';
import { completeAsTask } from '../../uploads/tasks.js';
import { listUploadParts } from '../../uploads/parts/list-parts.js';
import { signMoreParts } from '../../uploads/parts/sign-parts.js';
import { createUpload, sessionDefaults, type CreateUploadInput } from '../../uploads/create-upload.js';
import { createImport, type ImportInput } from '../../uploads/import/import-upload.js';
import type { AppContext } from '../../core/context.js';
import { formUpload } from '../../uploads/form-upload.js';
import { FormBodies } from '../../uploads/form-quota.js';
import { formParts } from '../multipart.js';
import { cancelUpload, getUpload, listUploads } from '../../uploads/read-uploads.js';
import { uploadView } from '../../uploads/views.js';
import { sendOk, ok } from '../envelope.js';
import { tenantOf } from '../plugins/auth.js';
import { UploadGate } from '../plugins/upload-gate.js';
import { CompletedUpload, CreatedUpload, errors, Ok, PartsView, PartView, SkippedUpload, UploadView } from '../responses.js';
import { CompleteBody, CreateUploadBody, IdParams, Kind, ListQuery, SignPartsBody, UploadStatus } from '../schemas.js';

const Accepted = Type.Composite([Type.Object({ message: Type.String() }), Ok(UploadView, 'Accepted: the file is stored and being verified.')]);

/** The tus upload URL of a session, with its token; absent where tus is not served. */
export type TusLink = (uploadId: string, expiresAt: Date) => string;

export function uploadRoutes(deps: AppContext, background: Background, gate = new UploadGate(Number.POSITIVE_INFINITY), tusLink?: TusLink) {
  // The form bodies streaming in this process, by namespace: they share its quota (form-quota.ts).
  const bodies = new FormBodies();
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/v1/uploads',
      {
        schema: {
          summary: 'Create an upload session (JSON), or upload a file through the API (multipart/form-data)',
          tags: ['uploads'],
          body: { content: { 'application/json': { schema: CreateUploadBody } } } as never,
          response: {
            201: Ok(CreatedUpload, 'Session created: send the bytes to upload_url.'),
            200: Ok(Type.Union([CreatedUpload, SkippedUpload]), 'Duplicate (this content is already stored) or skipped (on_alias_conflict: skip and the alias is taken): nothing to send.'),
            202: Accepted,
            ...errors(400, 401, 403, 409, 413, 415, 429),
          },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        if (request.isMultipart()) {
          const length = Number(request.headers['content-length']);
          const upload = await gate.admit(() => formUpload(deps, tenant, formParts(request), Number.isFinite(length) ? length : undefined, bodies));
          deps.observer?.created(upload.kind);
          return reply.code(202).send({ message: 'Upload accepted and is now being processed.', ...ok(request, uploadView(upload)) });
        }
        if (request.body === undefined) {
          throw new IntakeError('invalid_request', 'Send the session as a JSON body (application/json), or a file as multipart/form-data.');
        }
        const body = request.body as CreateUploadBody;
        if (body.source_url !== undefined) {
          if (body.protocol !== undefined) throw new IntakeError('invalid_request', 'An import is fetched by Intake: protocol does not apply.', { field: 'protocol' });
          const upload = await createImport(deps, tenant, body as ImportInput);
          deps.observer?.created(upload.kind);
          return reply.code(202).send({ message: 'Import accepted: Intake is fetching the file; its status tells how it goes.', ...ok(request, uploadView(upload)) });
        }
        // A bare_form, single_url or store_put session may leave out what its bytes will say (sessionDefaults).
        const learned = body.bare_form === true || body.single_url === true || body.store_put === true;
        for (const field of learned ? [] : (['filename', 'content_type', 'file_size'] as const)) {
          if (body[field] === undefined) throw new IntakeError('invalid_request', `Invalid body: body must have required property '${field}'.`, { field });
        }
        if (learned) Object.assign(body, sessionDefaults(body));
        if (body.protocol === 'tus' && !tusLink) throw new IntakeError('invalid_request', 'tus is not served by this instance.', { field: 'protocol' });
        const created = await createUpload(deps, tenant, body as CreateUploadInput);
        if (body.protocol === 'tus' && 'upload' in created && !created.duplicate) created.upload.upload_url = tusLink!(created.upload.id, new Date(created.upload.expires_at));
        if ('skipped' in created) return sendOk(reply, created.skipped, 200);
        deps.observer?.created(created.upload.kind);
        // A duplicate is complete at once, from stored content: no bytes received, no wait.
        if (created.duplicate) deps.observer?.completed(created.upload.kind, 0, 0);
        return sendOk(reply, created.upload, created.duplicate ? 200 : 201);
      },
    );

    app.get(
      '/v1/uploads',
      {
        schema: {
          summary: 'List upload sessions, newest first',
          tags: ['uploads'],
          querystring: Type.Composite([ListQuery, Type.Object({ status: Type.Optional(UploadStatus), kind: Type.Optional(Kind) })], { additionalProperties: false }),
          response: { 200: Ok(Type.Array(UploadView), 'Upload sessions, newest first; meta.next_cursor pages on.'), ...errors(400, 401) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = await listUploads(deps, tenantOf(request), { limit: q.limit, cursor: q.cursor, status: q.status, kind: q.kind });
        return sendOk(reply, page.items.map(uploadView), 200, { next_cursor: page.nextCursor });
      },
    );

    app.get('/v1/uploads/:id', { schema: { summary: 'Status of an upload session', tags: ['uploads'], params: IdParams, response: { 200: Ok(UploadView, 'The session.'), ...errors(401, 404) } } }, async (request, reply) =>
      sendOk(reply, uploadView(await getUpload(deps, tenantOf(request), request.params.id))),
    );

    app.delete('/v1/uploads/:id', { schema: { summary: 'Cancel an unfinished upload session', tags: ['uploads'], params: IdParams, response: { 200: Ok(UploadView, 'Canceled.'), ...errors(401, 404, 409) } } }, async (request, reply) =>
      sendOk(reply, uploadView(await cancelUpload(deps, tenantOf(request), request.params.id))),
    );

    app.get(
      '/v1/uploads/:id/parts',
      { schema: { summary: 'Received parts of a resumable upload (to resume)', tags: ['uploads'], params: IdParams, response: { 200: Ok(Type.Array(PartView), 'Parts received so far, by part number.'), ...errors(401, 404, 409) } } },
      async (request, reply) => sendOk(reply, await listUploadParts(deps, tenantOf(request), request.params.id)),
    );
    app.post(
      '/v1/uploads/:id/parts',
      {
        schema: {
          summary: 'Sign fresh part URLs for a resumable upload',
          tags: ['uploads'],
          params: IdParams,
          body: SignPartsBody,
          response: { 200: Ok(PartsView, 'URLs for the parts asked for.'), ...errors(400, 401, 404, 409, 410) },
        },
      },
      async (request, reply) => sendOk(reply, await signMoreParts(deps, tenantOf(request), request.params.id, request.body.part_numbers)),
    );

    app.post(
      '/v1/uploads/:id/complete',
      {
        schema: {
          summary: 'Verify the uploaded bytes and create the asset',
          tags: ['uploads'],
          params: IdParams,
          body: { content: { 'application/json': { schema: CompleteBody } } } as never,
          response: {
            200: Ok(CompletedUpload, 'Verified: the session with its asset.'),
            202: Ok(Type.Composite([UploadView, Type.Object({ task_id: Type.String({ description: 'GET /v1/tasks/{task_id} follows the verification.' }) })]), 'async: verification queued; the session is processing.'),
            ...errors(400, 401, 404, 409, 410, 413, 415, 422),
          },
        },
      },
      async (request, reply) => {
        const body = request.body as (CompleteInput & { async?: boolean }) | undefined;
        if (body?.async) {
          const queued = await completeAsTask(deps, tenantOf(request), request.params.id, { etag: body.etag, parts: body.parts });
          if (queued) return sendOk(reply, { ...uploadView(queued.upload), task_id: queued.task.id }, 202);
        }
        const { upload, asset } = await completeUpload(deps, tenantOf(request), request.params.id, { etag: body?.etag, parts: body?.parts });
        return sendOk(reply, { ...uploadView(upload), asset: asset ? await showAsset(deps, asset) : null });
      },
    );
  };
}

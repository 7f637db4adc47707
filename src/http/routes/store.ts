/**
 * Intake's own self-authorising store URLs, on every storage driver: the `key` in the query
 * string is the credential (no API key). `POST /store/single` takes a browser form with
 * only `file` (uploads/store-form.ts), `PUT /store/single` a `store_put` session's whole
 * file (uploads/store-put.ts); `PUT /store/resumable` takes every part of a
 * `single_url` session, indexed by `X-Upload-Index`, and `POST /store/resumable` with
 * `{parts}` finishes it (uploads/parts/store-parts.ts). Each client address has its own
 * request budget, as on /files/*.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { IntakeError } from '../../lib/errors.js';
import { FormBodies } from '../../uploads/form-quota.js';
import { finishIndexedParts, partIndex, receiveIndexedPart } from '../../uploads/parts/store-parts.js';
import { receiveStoreForm } from '../../uploads/store-form.js';
import { receiveStorePut } from '../../uploads/store-put.js';
import { uploadView } from '../../uploads/views.js';
import { sendOk } from '../envelope.js';
import { formParts } from '../multipart.js';
import { rateLimited, type Limiter } from '../plugins/rate-limit.js';
import type { UploadGate } from '../plugins/upload-gate.js';

const DOC = { tags: ['files'], security: [] as Array<Record<string, string[]>> };

/** POST `{parts}` to a single_url session's URL. */
export const StorePartsBody = Type.Object({
  parts: Type.Array(Type.Object({ index: Type.Integer({ minimum: 0, maximum: 9999 }), etag: Type.String({ minLength: 1, maxLength: 200 }) }), { minItems: 1, maxItems: 10000 }),
});
export type StorePartsBody = Static<typeof StorePartsBody>;

/** The request's Content-Length, when it sent one. */
export function declaredLength(request: FastifyRequest): number | undefined {
  const raw = request.headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

export function storeRoutes(deps: AppContext, gate: UploadGate, byAddress: Limiter) {
  // Store bodies of sessions with no declared size share their namespace's quota (form-quota.ts).
  const bodies = new FormBodies();
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      const d = await byAddress.hit(request.ip);
      if (!d.allowed) throw rateLimited(d, 'this address');
      void reply.headers({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag, X-Request-Id' });
    });
    // A part's bytes are streamed from the request, never parsed (JSON and forms still are).
    app.addContentTypeParser('*', (_req, _payload, done) => done(null));
    app.options('/store/single', { schema: { ...DOC, summary: 'CORS preflight for a store URL' } }, async (_request, reply) =>
      reply.code(204).headers({ 'Access-Control-Allow-Methods': 'POST, PUT', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' }).send(),
    );
    app.options('/store/resumable', { schema: { ...DOC, summary: 'CORS preflight for a single_url session\'s URL' } }, async (_request, reply) =>
      reply.code(204).headers({ 'Access-Control-Allow-Methods': 'PUT, POST', 'Access-Control-Allow-Headers': 'Content-Type, X-Upload-Index', 'Access-Control-Max-Age': '600' }).send(),
    );
    app.post(
      '/store/single',
      { schema: { ...DOC, summary: 'Send a file by form POST to a bare_form session\'s URL', description: 'The `upload_url` of a session created with `bare_form: true`: multipart/form-data with the file in `file` and nothing else needed; the `key` in the query string is the credential (no API key). One file per session.' } },
      async (request, reply) => {
        if (!request.isMultipart()) throw new IntakeError('invalid_request', 'Send multipart/form-data with the file in "file".', { field: 'file' });
        const key = (request.query as { key?: string }).key;
        const { upload, etag, size } = await gate.admit(() => receiveStoreForm(deps, key, formParts(request), (id, fn) => gate.exclusive(id, fn), bodies));
        return sendOk(reply.header('ETag', etag), { upload_id: upload.id, size, etag });
      },
    );
    // The whole file as the body, whatever its type (a JSON file too): nothing is parsed here.
    await app.register(async (raw) => {
      raw.removeContentTypeParser('application/json');
      raw.put(
        '/store/single',
        { schema: { ...DOC, summary: 'Send the whole file by PUT to a store_put session\'s URL', description: 'The `upload_url` of a session created with `store_put: true`: the raw bytes of the file (any Content-Type; the bytes are typed at complete); the `key` in the query string is the credential (no API key). One file per session. Without a declared size, quota is taken as the bytes stream and a body refused for its size or the quota fails the session.' } },
        async (request, reply) => {
          const key = (request.query as { key?: string }).key;
          const { upload, etag, size } = await gate.admit(() => receiveStorePut(deps, key, declaredLength(request), request.raw, (id, fn) => gate.exclusive(id, fn), bodies));
          return sendOk(reply.header('ETag', etag), { upload_id: upload.id, size, etag });
        },
      );
    });
    app.put(
      '/store/resumable',
      { schema: { ...DOC, summary: 'Send one part of a single_url session', description: 'The `upload_url` of a session created with `single_url: true`: the raw bytes of one part, its 0-based index in `X-Upload-Index`, with a Content-Length; parts may come in any order and be sent again. Answers the part\'s `index` and `etag`.' } },
      async (request, reply) => {
        const key = (request.query as { key?: string }).key;
        const index = partIndex(request.headers['x-upload-index']);
        const part = await gate.admit(() => receiveIndexedPart(deps, key, index, declaredLength(request), request.raw, (id, fn) => gate.exclusive(id, fn)));
        return sendOk(reply.header('ETag', part.etag), part);
      },
    );
    app.post(
      '/store/resumable',
      { schema: { ...DOC, body: StorePartsBody, summary: 'Finish a single_url session', description: 'JSON `{"parts": [{"index", "etag"}, …]}` as the part PUTs answered: the parts are joined, verified and the session completed (as POST /v1/uploads/{id}/complete). One use: the URL then takes nothing more (409).' } },
      async (request, reply) => {
        const key = (request.query as { key?: string }).key;
        const { upload } = await finishIndexedParts(deps, key, (request.body as StorePartsBody).parts);
        return sendOk(reply, uploadView(upload));
      },
    );
  };
}

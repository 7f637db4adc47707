/**
 * Intake's own self-authorising form URL (`POST /store/single?key=…`), on every storage
 * driver: a browser form with only `file`, no key; the `key` token is the credential
 * (uploads/store-form.ts). Each client address has its own request budget, as on /files/*.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../core/context.js';
import { IntakeError } from '../../lib/errors.js';
import { receiveStoreForm } from '../../uploads/store-form.js';
import { sendOk } from '../envelope.js';
import { formParts } from '../multipart.js';
import { rateLimited, type Limiter } from '../plugins/rate-limit.js';
import type { UploadGate } from '../plugins/upload-gate.js';

const DOC = { tags: ['files'], security: [] as Array<Record<string, string[]>> };

export function storeRoutes(deps: AppContext, gate: UploadGate, byAddress: Limiter) {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      const d = await byAddress.hit(request.ip);
      if (!d.allowed) throw rateLimited(d, 'this address');
      void reply.headers({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag, X-Request-Id' });
    });
    app.options('/store/single', { schema: { ...DOC, summary: 'CORS preflight for a store URL' } }, async (_request, reply) =>
      reply.code(204).headers({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' }).send(),
    );
    app.post(
      '/store/single',
      { schema: { ...DOC, summary: 'Send a file by form POST to a bare_form session\'s URL', description: 'The `upload_url` of a session created with `bare_form: true`: multipart/form-data with the file in `file` and nothing else needed; the `key` in the query string is the credential (no API key). One file per session.' } },
      async (request, reply) => {
        if (!request.isMultipart()) throw new IntakeError('invalid_request', 'Send multipart/form-data with the file in "file".', { field: 'file' });
        const key = (request.query as { key?: string }).key;
        const { upload, etag, size } = await gate.admit(() => receiveStoreForm(deps, key, formParts(request), (id, fn) => gate.exclusive(id, fn)));
        return sendOk(reply.header('ETag', etag), { upload_id: upload.id, size, etag });
      },
    );
  };
}

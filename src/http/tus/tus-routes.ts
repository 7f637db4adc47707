/**
 * tus 1.0.0 at /tus/ (creation at POST /tus/, uploads at /tus/{id}) over Intake's appended
 * sessions (uploads/append/): this file maps headers and statuses; every rule (checks
 * before bytes, quota, one writer, completion at the last byte) is the core's.
 * A server client authenticates with its namespace key; a browser with the upload URL's
 * `?token=`, issued by POST /v1/uploads with `"protocol": "tus"` (token.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Tenant } from '../../auth/principal.js';
import type { AppContext } from '../../core/context.js';
import { IntakeError, forbidden, invalid } from '../../lib/errors.js';
import type { Appender } from '../../storage/object-storage.js';
import {
  appendBytes,
  createAppendSession,
  declareLength,
  findAppendSession,
  isFinal,
  isGone,
  lengthDeferred,
  offsetOf,
  type AppendSession,
} from '../../uploads/append/append-session.js';
import { cancelUpload } from '../../uploads/read-uploads.js';
import { OPEN } from '../../uploads/status.js';
import { rateLimited, type Limiter } from '../plugins/rate-limit.js';
import type { UploadGate } from '../plugins/upload-gate.js';
import {
  CORS_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
  TUS_CHECKSUMS,
  TUS_CONTENT_TYPE,
  TUS_EXTENSIONS,
  TUS_VERSION,
  intHeader,
  parseChecksum,
  parseMetadata,
  requireVersion,
} from './headers.js';
import { concatUploads } from '../../uploads/append/concat-uploads.js';
import { concatHeader, parseConcat } from './concat.js';
import { partialInput, sessionInput } from './metadata.js';
import { checkTusToken } from './token.js';

export interface TusDeps {
  appender: Appender;
  /** The signing secret tus tokens are checked with. */
  secret: string;
  authenticator: Authenticator;
  byKey: Limiter;
  byAddress: Limiter;
  gate: UploadGate;
  /** Where clients reach Intake (Location headers). */
  publicUrl: string;
  /** Tus-Max-Size: the largest file any session may declare. */
  maxSize: number;
}

const DOC = { tags: ['tus'], security: [] as Array<Record<string, string[]>> };
type Params = { id: string };

export function tusRoutes(deps: AppContext, tus: TusDeps) {
  const base = tus.publicUrl.replace(/\/+$/, '');

  /** The caller: a namespace key's tenant, or null for a valid token of session `id`. */
  async function callerOf(request: FastifyRequest, id?: string): Promise<Tenant | null> {
    const token = (request.query as { token?: string }).token;
    if (token !== undefined && id !== undefined) {
      const verdict = checkTusToken(tus.secret, id, token, deps.clock.now().getTime());
      if (verdict === 'expired') throw new IntakeError('expired', 'This upload URL has expired.');
      if (verdict !== 'ok') throw forbidden('The token does not belong to this upload.', { reason: 'bad_signature' });
      return null;
    }
    const p = await tus.authenticator.authenticate(request.headers.authorization);
    if (p.role !== 'namespace') throw forbidden('Use a namespace API key (or an upload URL with its token) for tus uploads.');
    const d = await tus.byKey.hit(p.keyId);
    if (!d.allowed) throw rateLimited(d);
    return { namespaceId: p.namespaceId, namespace: p.namespace };
  }

  function expiresHeader(reply: FastifyReply, s: AppendSession['upload']): void {
    if (OPEN.includes(s.status)) void reply.header('Upload-Expires', new Date(s.expires_at).toUTCString());
  }

  /** PATCH's body, and creation-with-upload's: one writer per session, the same admission as signed PUTs. */
  async function receive(request: FastifyRequest, reply: FastifyReply, s: AppendSession, offset: number): Promise<void> {
    const length = intHeader(request.headers['content-length'], 'Content-Length');
    if (length !== undefined && !lengthDeferred(s) && offset + length > s.upload.file_size) {
      throw new IntakeError('file_too_large', `The upload is ${s.upload.file_size} bytes; ${offset} + ${length} is more.`, { max_size: s.upload.file_size });
    }
    const checksum = parseChecksum(request.headers['upload-checksum'] as string | undefined);
    const done = await tus.gate.admit(() => tus.gate.exclusive(s.upload.id, () => appendBytes(deps, tus.appender, s, offset, request.raw, checksum)));
    void reply.header('Upload-Offset', String(done.offset));
    expiresHeader(reply, done.completed?.upload ?? s.upload);
  }

  return async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('*', (_req, _payload, done) => done(null));

    app.addHook('onRequest', async (request, reply) => {
      void reply.headers({
        'Tus-Resumable': TUS_VERSION,
        'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS,
      });
      const d = await tus.byAddress.hit(request.ip);
      if (!d.allowed) throw rateLimited(d, 'this address');
      if (request.method !== 'OPTIONS') requireVersion(request.headers['tus-resumable'] as string | undefined);
    });

    const options = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(204)
        .headers({
          'Tus-Version': TUS_VERSION,
          'Tus-Extension': TUS_EXTENSIONS,
          'Tus-Max-Size': String(tus.maxSize),
          'Tus-Checksum-Algorithm': TUS_CHECKSUMS,
          'Access-Control-Allow-Methods': 'POST, HEAD, PATCH, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
        })
        .send();
    app.options('/tus/', { schema: { ...DOC, summary: 'tus discovery (and CORS preflight)' } }, options);
    app.options('/tus/:id', { schema: { ...DOC, summary: 'tus discovery (and CORS preflight) on an upload' } }, options);

    app.post('/tus/', { schema: { ...DOC, summary: 'tus creation (with upload; partial and final for concatenation): a new session from Upload-Length and Upload-Metadata (namespace key)' } }, async (request, reply) => {
      const tenant = (await callerOf(request))!;
      const h = request.headers;
      const concat = parseConcat(h['upload-concat'] as string | undefined);
      const metadata = (h['upload-metadata'] as string | undefined) ?? null;
      const bodyLength = intHeader(h['content-length'], 'Content-Length');
      const withBody = (bodyLength ?? 0) > 0 || h['transfer-encoding'] !== undefined;
      if (concat?.final) {
        if (h['upload-length'] !== undefined || h['upload-defer-length'] !== undefined) throw invalid('A final upload takes its length from its partial uploads: send no Upload-Length.', 'Upload-Length');
        if (withBody) throw invalid('A final upload is made of its partial uploads: send no body.', 'Upload-Concat');
        const md = parseMetadata(metadata ?? undefined);
        const { file_size: _size, ...input } = sessionInput(md, 1);
        const made = await tus.gate.admit(() => concatUploads(deps, tus.appender, tenant, concat.final!, input, { metadata, concat: concatHeader(concat.final!) }));
        deps.observer?.created(made.kind);
        void reply.header('Location', `${base}/tus/${made.id}`);
        void reply.header('Upload-Offset', String(made.appended.offset));
        return reply.code(201).send();
      }
      const length = intHeader(h['upload-length'] as string | undefined, 'Upload-Length');
      const deferred = h['upload-defer-length'] !== undefined;
      if (deferred && h['upload-defer-length'] !== '1') throw invalid('Upload-Defer-Length must be 1.', 'Upload-Defer-Length');
      if ((length === undefined) === !deferred) throw invalid('Send Upload-Length, or Upload-Defer-Length: 1 (not both).', 'Upload-Length');
      if (length !== undefined && length > tus.maxSize) throw new IntakeError('file_too_large', `Tus-Max-Size is ${tus.maxSize} bytes.`, { max_size: tus.maxSize });
      if (length === 0) throw invalid('An upload needs at least one byte.', 'Upload-Length');
      if (withBody && h['content-type'] !== TUS_CONTENT_TYPE) throw new IntakeError('unsupported_media_type', `An upload's bytes are sent as ${TUS_CONTENT_TYPE}.`, { field: 'Content-Type' });
      const md = parseMetadata(metadata ?? undefined);
      // A partial upload is bytes for a final one: no asset of its own, so none of an asset's fields.
      const input = concat?.partial ? partialInput(md, length ?? 1) : sessionInput(md, length ?? 1);
      const created = await createAppendSession(deps, tenant, input, { metadata, deferLength: deferred, concat: concat?.partial ? 'partial' : undefined });
      deps.observer?.created(created.kind);
      void reply.header('Location', `${base}/tus/${created.id}`);
      const s = await findAppendSession(deps, tenant, created.id);
      expiresHeader(reply, s.upload);
      if (withBody) await receive(request, reply, s, 0);
      return reply.code(201).send();
    });

    app.route({
      method: 'HEAD',
      url: '/tus/:id',
      schema: { ...DOC, summary: 'tus: the offset, length and metadata of an upload' },
      handler: async (request, reply) => {
        const { id } = request.params as Params;
        const s = await findAppendSession(deps, await callerOf(request, id), id);
        if (isGone(s.upload)) throw new IntakeError('expired', `The upload was ${s.upload.status}; its bytes are gone.`, { status: s.upload.status });
        void reply.header('Upload-Offset', String(await offsetOf(tus.appender, s)));
        if (lengthDeferred(s)) void reply.header('Upload-Defer-Length', '1');
        else void reply.header('Upload-Length', String(s.upload.file_size));
        if (s.tus?.tus_metadata) void reply.header('Upload-Metadata', s.tus.tus_metadata);
        if (s.tus?.concat) void reply.header('Upload-Concat', s.tus.concat);
        expiresHeader(reply, s.upload);
        return reply.code(200).send();
      },
    });

    app.patch('/tus/:id', { schema: { ...DOC, summary: 'tus: append bytes at Upload-Offset; the last byte completes the upload' } }, async (request, reply) => {
      const { id } = request.params as Params;
      if (request.headers['content-type'] !== TUS_CONTENT_TYPE) throw new IntakeError('unsupported_media_type', `PATCH bytes as ${TUS_CONTENT_TYPE}.`, { field: 'Content-Type' });
      const offset = intHeader(request.headers['upload-offset'] as string | undefined, 'Upload-Offset');
      if (offset === undefined) throw invalid('Send Upload-Offset.', 'Upload-Offset');
      let s = await findAppendSession(deps, await callerOf(request, id), id);
      if (isFinal(s)) throw forbidden('A final upload is made of its partial uploads; it takes no PATCH.', { reason: 'final_upload' });
      const declared = intHeader(request.headers['upload-length'] as string | undefined, 'Upload-Length');
      if (declared !== undefined) s = await declareLength(deps, s, declared, offset);
      await receive(request, reply, s, offset);
      return reply.code(204).send();
    });

    app.delete('/tus/:id', { schema: { ...DOC, summary: 'tus termination: the session is canceled and its bytes removed' } }, async (request, reply) => {
      const { id } = request.params as Params;
      const s = await findAppendSession(deps, await callerOf(request, id), id);
      if (isGone(s.upload)) throw new IntakeError('expired', `The upload was ${s.upload.status}; its bytes are gone.`, { status: s.upload.status });
      await tus.gate.exclusive(id, () => cancelUpload(deps, { namespaceId: s.upload.namespace_id }, id));
      return reply.code(204).send();
    });
  };
}

/**
 * The signed URLs of the local-disk driver, served by Intake itself: PUT and POST
 * receive bytes, GET and HEAD deliver them. Only registered when the driver needs it.
 * Registered in its own scope with a pass-through body parser: bytes are streamed,
 * never parsed or buffered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rangeParser from 'range-parser';
import { contentDisposition } from '../../lib/content-disposition.js';
import { IntakeError } from '../../lib/errors.js';
import { essence } from '../../media/kinds.js';
import { POST_FIELDS, type LocalDiskStorage } from '../../storage/local.js';
import type { SignedFields } from '../../storage/signed-url.js';
import type { AppContext } from '../../core/context.js';
import { openSessionFor, receiveBytes } from '../../uploads/receive-bytes.js';
import { sendOk } from '../envelope.js';
import { receivePart } from '../../uploads/parts/receive-part.js';
import { formParts } from '../multipart.js';
import { rateLimited, type Limiter } from '../plugins/rate-limit.js';
import type { TransferGuard } from '../plugins/transfer-guard.js';
import type { UploadGate } from '../plugins/upload-gate.js';

export interface FileTraffic {
  gate: UploadGate;
  guard: TransferGuard;
  /** /files/* needs no key: each client address gets its own budget. */
  byAddress: Limiter;
}

type Query = Record<string, string | undefined>;


/** Documentation of the signed-URL routes in /openapi.json: public (the signature is the credential). */
const FILES_DOC = { tags: ['files'], security: [] as Array<Record<string, string[]>> };

export function keyOf(request: FastifyRequest): string {
  return (request.params as { '*': string })['*'];
}

export function check(storage: LocalDiskStorage, fields: SignedFields, sig: string | undefined, nowMs: number): void {
  const verdict = sig ? storage.verifySignature(fields, sig, nowMs) : 'bad_signature';
  if (verdict === 'expired') throw new IntakeError('expired', 'This signed URL has expired.');
  if (verdict !== 'ok') {
    throw new IntakeError('forbidden', 'The signature does not match this request (method, key, content type, size or expiry).', { reason: 'bad_signature' });
  }
}

export function int(v: string | undefined): number {
  return v !== undefined && /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
}

/** Weak comparison (RFC 9110 §13.1.2): `*` matches any current object; `W/` is ignored. */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((t) => strip(t) === strip(etag));
}

export function fileRoutes(deps: AppContext, storage: LocalDiskStorage, traffic: FileTraffic) {
  return async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('*', (_req, _payload, done) => done(null));

    // Browsers on any origin send bytes here: the signature is the credential (no cookies), so * is safe.
    app.addHook('onRequest', async (request, reply) => {
      const d = await traffic.byAddress.hit(request.ip);
      if (!d.allowed) throw rateLimited(d, 'this address');
      void reply.headers({
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'ETag, Content-Length, Content-Range, Content-Disposition, Accept-Ranges, X-Request-Id',
      });
    });
    app.options('/files/*', { schema: { ...FILES_DOC, summary: 'CORS preflight for a signed URL', description: 'Answers a browser\'s preflight before it PUTs or POSTs bytes to a signed URL.' } }, async (_request, reply) =>
      reply
        .code(204)
        .headers({
          'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST',
          'Access-Control-Allow-Headers': 'Content-Type, Range, If-None-Match, If-Range',
          'Access-Control-Max-Age': '600',
        })
        .send(),
    );

    app.put('/files/*', { schema: { ...FILES_DOC, summary: 'Send the bytes of a session or part to its signed URL', description: 'The `upload_url` (or a part URL) of a session, with local storage: the query string signature is the credential (no API key). The body is the raw bytes.' } }, async (request, reply) => {
      const q = request.query as Query;
      // A part of a resumable session: its own signature rules (putPart below).
      if (q.part !== undefined) return putPart(deps, storage, traffic, request, reply);
      const key = keyOf(request);
      const maxSize = int(q.max);
      check(storage, { method: 'PUT', key, expires: int(q.expires), contentType: essence(request.headers['content-type'] ?? ''), maxSize, uploadId: q.upload }, q.sig, deps.clock.now().getTime());
      const declared = int(request.headers['content-length']);
      if (declared > maxSize) throw new IntakeError('file_too_large', `The body is larger than the ${maxSize} bytes this URL was signed for.`, { max_size: maxSize });
      return traffic.gate.admit(async () => {
        const upload = await openSessionFor(deps, q.upload!, key);
        const { etag, size } = await traffic.gate.exclusive(upload.id, () => receiveBytes(deps, storage, upload, request.raw));
        return sendOk(reply.header('ETag', etag), { upload_id: upload.id, key, size, etag });
      });
    });

    app.post('/files/*', { schema: { ...FILES_DOC, summary: 'Send a file by browser form POST to its signed URL', description: 'The `method: "POST"` variant of a session with local storage: multipart/form-data with the signed fields, then the file (no API key).' } }, async (request, reply) => {
      if (!request.isMultipart()) throw new IntakeError('invalid_request', 'Send multipart/form-data with the signed fields, then the file.');
      return traffic.gate.admit(() => receivePost(request, reply));
    });

    const receivePost = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = keyOf(request);
      const fields: Record<string, string> = {};
      for await (const part of formParts(request)) {
        if (part.type === 'field') {
          fields[part.name] = part.value;
          continue;
        }
        const maxSize = int(fields[POST_FIELDS.maxSize]);
        const uploadId = fields[POST_FIELDS.upload];
        check(
          storage,
          { method: 'POST', key, expires: int(fields[POST_FIELDS.expires]), contentType: essence(fields['Content-Type'] ?? ''), maxSize, uploadId },
          fields[POST_FIELDS.signature],
          deps.clock.now().getTime(),
        );
        if (part.name !== 'file') throw new IntakeError('invalid_request', 'The file must be in the field "file".', { field: part.name });
        const upload = await openSessionFor(deps, uploadId!, key);
        const { etag, size } = await traffic.gate.exclusive(upload.id, () => receiveBytes(deps, storage, upload, part.stream));
        return sendOk(reply.header('ETag', etag), { upload_id: upload.id, key, size, etag });
      }
      throw new IntakeError('invalid_request', 'The form has no "file" field.', { field: 'file' });
    };

    const deliver = async (request: FastifyRequest, reply: FastifyReply) => {
      const q = request.query as Query;
      const key = keyOf(request);
      const disposition = q.disposition === 'inline' ? 'inline' : 'attachment';
      check(storage, { method: 'GET', key, expires: int(q.expires), contentType: q.type, disposition: q.disposition, filename: q.filename }, q.sig, deps.clock.now().getTime());
      const info = await storage.head(key);
      if (!info) throw new IntakeError('not_found', 'Object not found.');
      void reply.headers({
        'Content-Type': q.type ?? 'application/octet-stream',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "sandbox; default-src 'none'",
        'Content-Disposition': contentDisposition(disposition, q.filename ?? 'file'),
        'Cache-Control': 'private, max-age=3600',
        'Accept-Ranges': 'bytes',
        ETag: info.etag,
      });
      if (noneMatch(request.headers['if-none-match'], info.etag)) return reply.code(304).send();
      let range: { start: number; end: number } | undefined;
      const header = request.headers.range;
      const ifRange = request.headers['if-range'];
      if (header && (!ifRange || ifRange === info.etag)) {
        const parsed = rangeParser(info.size, header, { combine: true });
        if (parsed === -1) return reply.code(416).header('Content-Range', `bytes */${info.size}`).send();
        if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
      }
      const length = range ? range.end - range.start + 1 : info.size;
      void reply.header('Content-Length', String(length));
      if (range) void reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
      if (request.method === 'HEAD' || length === 0) return reply.send();
      // A reader that stops reading would hold the file and the socket forever: same minimum rate as bodies.
      traffic.guard.watchResponse(reply.raw);
      return reply.send(await storage.read(key, range));
    };
    // Its own HEAD route: Fastify's automatic one answers Content-Length: 0 for an empty payload.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/files/*',
      schema: { ...FILES_DOC, summary: 'Read a stored file by its signed delivery URL', description: 'An asset\'s `url` (or a source\'s) with local storage: the signature in the query string is the credential (no API key). Range and If-None-Match are honoured.' },
      exposeHeadRoute: false,
      handler: deliver,
    });
  };
}

/**
 * PUT of one part of a resumable session: the signature binds method, key, session, size
 * cap, expiry and the part number; a body over the cap is refused before a byte is read;
 * the session must be open; the same in-flight cap admits it. No Content-Type is bound: a
 * part is raw bytes, as with S3's UploadPart.
 */
async function putPart(deps: AppContext, storage: LocalDiskStorage, traffic: FileTraffic, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = request.query as Record<string, string | undefined>;
  const key = keyOf(request);
  const maxSize = int(q.max);
  const part = int(q.part);
  check(storage, { method: 'PUT', key, expires: int(q.expires), maxSize, uploadId: q.upload, part }, q.sig, deps.clock.now().getTime());
  const declared = int(request.headers['content-length']);
  if (declared > maxSize) throw new IntakeError('file_too_large', `Part ${part} may be at most ${maxSize} bytes.`, { max_size: maxSize, part_number: part });
  return traffic.gate.admit(async () => {
    const upload = await openSessionFor(deps, q.upload!, key);
    // Parts of one session arrive in parallel; one writer per part keeps a part's temp files
    // (and so the disk a session can fill) to one at a time.
    const { etag, size } = await traffic.gate.exclusive(`${upload.id}#${part}`, () => receivePart(deps, storage, upload, part, request.raw));
    return sendOk(reply.header('ETag', etag), { upload_id: upload.id, key, part_number: part, size, etag });
  });
}

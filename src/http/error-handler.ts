/**
 * The one place a domain error code becomes an HTTP status and an envelope. Unknown
 * errors are logged with the request id and become a 500 that says nothing more.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError } from '../db/database.js';
import { IntakeError, type ErrorCode, type Reason } from '../lib/errors.js';
import { StorageUnavailableError } from '../storage/object-storage.js';
import { fail } from './envelope.js';

export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  quota_exceeded: 403,
  not_found: 404,
  conflict: 409,
  expired: 410,
  file_too_large: 413,
  unsupported_media_type: 415,
  verification_failed: 422,
  conditions_not_met: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** Reasons whose protocol names its own status: tus 1.0's 412 (version) and 460 (checksum extension). */
export const REASON_STATUS: Partial<Record<Reason, number>> = {
  unsupported_version: 412,
  chunk_checksum_mismatch: 460,
};

interface ValidationItem {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(v: ValidationItem | undefined): string | undefined {
  if (!v) return undefined;
  const base = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (v.params.missingProperty ?? v.params.additionalProperty) as string | undefined;
  return [base, extra].filter(Boolean).join('.') || undefined;
}

/** A domain error as it is, or Fastify's own as the contract's; null for anything else. */
export function asContractError(err: FastifyError): IntakeError | null {
  return err instanceof IntakeError ? err : fromFastify(err);
}

/** Fastify's own errors (parsing, validation, limits) as contract errors. */
function fromFastify(err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }): IntakeError | null {
  if (err.validation) {
    const first = err.validation[0];
    const field = fieldOf(first);
    const what = first?.keyword === 'additionalProperties' ? `unknown field "${field}"` : `${field ?? err.validationContext} ${first?.message ?? 'is invalid'}`;
    return new IntakeError('invalid_request', `Invalid ${err.validationContext ?? 'request'}: ${what}.`, field ? { field } : {});
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new IntakeError('unsupported_media_type', 'This route does not accept that Content-Type.', { field: 'content-type' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new IntakeError('file_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new IntakeError('invalid_request', 'The JSON body is empty.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new IntakeError('invalid_request', err.message);
    default:
      if (err.statusCode === 400 || err instanceof SyntaxError) return new IntakeError('invalid_request', `Malformed request: ${err.message}`);
      if (err.statusCode === 413) return new IntakeError('file_too_large', err.message);
      if (err.statusCode === 415) return new IntakeError('unsupported_media_type', err.message);
      return null;
  }
}

/**
 * Errors Fastify's router meets before any route or hook runs — a path whose
 * percent-encoding does not decode (`/p/ns/%ff`), a path parameter over maxParamLength —
 * answered as the contract's 400 envelope instead of Fastify's own body. The request id
 * header and, on /files/*, the CORS header are set here: the onRequest hooks did not run.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path segment is too long.'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'The path is not valid: a percent-encoded sequence does not decode to UTF-8.'
        : `Malformed request: ${err.message}`;
  request.log.info({ code: 'invalid_request', status: 400, fastify: err.code }, message);
  void reply.header('X-Request-Id', request.id);
  if (request.raw.url?.startsWith('/files/')) void reply.header('Access-Control-Allow-Origin', '*');
  void reply.code(400).send(fail(request, 'invalid_request', message, { field: 'path' }));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = err instanceof IntakeError ? err : fromFastify(err);
    if (known) {
      if (typeof known.details.retry_after === 'number') {
        void reply.header('Retry-After', String(known.details.retry_after));
      }
      const status = (known.details.reason && REASON_STATUS[known.details.reason]) || STATUS[known.code];
      request.log.info({ code: known.code, status }, known.message);
      // A large body we refused to read is not drained: the connection closes instead.
      const unread = !request.raw.readableEnded && !request.raw.complete;
      const length = Number(request.headers['content-length'] ?? Number.NaN);
      if (status === 413 || (unread && !(length <= 1024 * 1024))) void reply.header('Connection', 'close');
      return reply.code(status).send(fail(request, known.code, known.message, known.details));
    }
    if (isConnectionError(err) || err instanceof StorageUnavailableError) {
      request.log.warn({ err }, 'dependency unavailable');
      return reply.code(503).send(fail(request, 'unavailable', 'A backing service is unreachable; retry shortly.'));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(fail(request, 'internal_error', 'Internal error. Quote the request id when reporting it.'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(fail(request, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}

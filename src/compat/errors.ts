/**
 * Every adapter's error handler: a contract error gets the status its API documents for
 * it (by default the native one) in the API's own body; anything else is logged and is a
 * 500 in that shape. Bad input never reaches the fallback.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IntakeError } from '../lib/errors.js';
import type { CompatKit } from './kit.js';

export interface ErrorShape {
  /** The status this API answers for `err` (default: the native one). */
  status?(err: IntakeError, native: number): number;
  /** The body for `err` at `status`. */
  body(err: IntakeError, status: number, request: FastifyRequest): unknown;
}

/** The native envelope's error body, for APIs whose document shows none. */
export function envelopeError(err: IntakeError, _status: number, request: FastifyRequest) {
  return { data: null, error: { code: err.code, message: err.message, details: err.details }, meta: { request_id: request.id, timestamp: new Date().toISOString() } };
}

export function installErrors(app: FastifyInstance, kit: CompatKit, shape: ErrorShape): void {
  const answer = (reply: FastifyReply, request: FastifyRequest, err: IntakeError) => {
    const native = kit.status[err.code];
    const status = shape.status?.(err, native) ?? native;
    if (typeof err.details.retry_after === 'number') void reply.header('Retry-After', String(err.details.retry_after));
    // A large body refused unread is not drained: the connection closes instead (as on native routes).
    const unread = !request.raw.readableEnded && !request.raw.complete;
    const length = Number(request.headers['content-length'] ?? Number.NaN);
    if (status === 413 || (unread && !(length <= 1024 * 1024))) void reply.header('Connection', 'close');
    request.log.info({ code: err.code, status }, err.message);
    return reply.code(status).send(shape.body(err, status, request));
  };
  app.setErrorHandler((err, request, reply) => {
    const known = kit.contractError(err);
    if (known) return answer(reply, request, known);
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(shape.body(new IntakeError('unavailable', 'Internal error. Quote the request id when reporting it.'), 500, request));
  });
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../lib/errors.js';

export interface Meta {
  request_id: string;
  timestamp: string;
  next_cursor?: string | null;
}

/** The contract's envelope around a successful answer. */
export function ok<T>(request: FastifyRequest, data: T, extraMeta: Partial<Meta> = {}): { data: T; error: null; meta: Meta } {
  return { data, error: null, meta: { request_id: request.id, timestamp: new Date().toISOString(), ...extraMeta } };
}

export function fail(request: FastifyRequest, code: ErrorCode | 'internal_error', message: string, details: Record<string, unknown> = {}) {
  return failure(request.id, code, message, details);
}

/** The error envelope for a request id (where there is no Fastify request to take it from). */
export function failure(requestId: string, code: ErrorCode | 'internal_error', message: string, details: Record<string, unknown> = {}) {
  return { data: null, error: { code, message, details }, meta: { request_id: requestId, timestamp: new Date().toISOString() } };
}

export function sendOk<T>(reply: FastifyReply, data: T, status = 200, extraMeta: Partial<Meta> = {}): FastifyReply {
  return reply.code(status).send(ok(reply.request, data, extraMeta));
}

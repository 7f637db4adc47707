/**
 * Route sets mounted from outside http/ (the compatibility adapters in compat/, wired in
 * main/api.ts): each gets its own Fastify scope and the kit below, so it authenticates,
 * rate-limits, parses forms and admits bodies exactly as the native routes do, and
 * answers errors in its own shape. http/ imports none of them.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import type { Tenant } from '../auth/principal.js';
import { isConnectionError } from '../db/database.js';
import { forbidden, IntakeError, type ErrorCode } from '../lib/errors.js';
import { StorageUnavailableError } from '../storage/object-storage.js';
import type { FormPart } from '../uploads/form-upload.js';
import { asContractError, STATUS } from './error-handler.js';
import { formParts } from './multipart.js';
import { rateLimited, type Limiter, type RateDecision } from './plugins/rate-limit.js';
import type { UploadGate } from './plugins/upload-gate.js';

export interface HttpKit {
  /** The namespace key's tenant (admin key: 403); takes a token from the key's rate limit and sets X-RateLimit-*. */
  tenant(request: FastifyRequest, reply: FastifyReply): Promise<Tenant>;
  /** A route with no key (a self-authorising URL): a token from the client address's budget. */
  byAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The parts of a multipart/form-data body, in order (cut-off bodies are 400s). */
  formParts(request: FastifyRequest): AsyncGenerator<FormPart>;
  /** Bodies admitted as the native byte routes admit them (in-flight cap, one writer per session). */
  gate: UploadGate;
  /** Any error as a contract error (Fastify's own, outages as `unavailable`), or null for a bug (a 500). */
  contractError(err: unknown): IntakeError | null;
  /** The HTTP status of each error code on the native API. */
  status: Readonly<Record<ErrorCode, number>>;
}

export type Mount = (app: FastifyInstance, kit: HttpKit) => Promise<void>;

function rateHeaders(reply: FastifyReply, d: RateDecision): void {
  void reply.headers({ 'X-RateLimit-Limit': String(d.limit), 'X-RateLimit-Remaining': String(d.remaining), 'X-RateLimit-Reset': String(d.reset) });
}

export function httpKit(authenticator: Authenticator, byKey: Limiter, byAddress: Limiter, gate: UploadGate): HttpKit {
  return {
    async tenant(request, reply) {
      const principal = await authenticator.authenticate(request.headers.authorization).catch(async (err: unknown) => {
        if (err instanceof IntakeError && err.code === 'unauthorized') {
          const d = await byAddress.hit(request.ip);
          if (!d.allowed) throw rateLimited(d, 'this address');
        }
        throw err;
      });
      const decision = await byKey.hit(principal.keyId ?? 'admin');
      rateHeaders(reply, decision);
      if (!decision.allowed) throw rateLimited(decision);
      if (principal.role !== 'namespace') throw forbidden('Use a namespace API key for this route; admin keys manage namespaces and keys.');
      return { namespaceId: principal.namespaceId, namespace: principal.namespace };
    },
    async byAddress(request, reply) {
      const d = await byAddress.hit(request.ip);
      rateHeaders(reply, d);
      if (!d.allowed) throw rateLimited(d, 'this address');
    },
    formParts,
    gate,
    contractError(err) {
      const known = asContractError(err as FastifyError);
      if (known) return known;
      if (isConnectionError(err) || err instanceof StorageUnavailableError) return new IntakeError('unavailable', 'A backing service is unreachable; retry shortly.');
      return null;
    },
    status: STATUS,
  };
}

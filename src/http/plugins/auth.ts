/**
 * Authenticates every /v1 request in onRequest, before any body is read, then applies
 * the key's rate limit. Handlers ask for the principal they need with tenantOf/adminOf.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Principal, Tenant } from '../../auth/principal.js';
import { forbidden, IntakeError, isIntakeError } from '../../lib/errors.js';
import { rateLimited, type RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * `byAddress` counts requests that bring no valid key, per client address: once an
 * address runs out, they get 429 instead of 401 (a valid key from that address still works).
 */
export function installAuth(app: FastifyInstance, authenticator: Authenticator, limiter: RateLimiter, byAddress: RateLimiter): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const principal = await authenticator.authenticate(request.headers.authorization).catch((err: unknown) => {
      if (isIntakeError(err) && err.code === 'unauthorized') {
        const d = byAddress.hit(request.ip);
        if (!d.allowed) throw rateLimited(d, 'this address');
      }
      throw err;
    });
    const decision = limiter.hit(principal.keyId ?? 'admin');
    void reply.headers({
      'X-RateLimit-Limit': String(decision.limit),
      'X-RateLimit-Remaining': String(decision.remaining),
      'X-RateLimit-Reset': String(decision.reset),
    });
    if (!decision.allowed) throw rateLimited(decision);
    request.principal = principal;
  });
}

export function tenantOf(request: FastifyRequest): Tenant {
  const p = request.principal;
  if (!p) throw new IntakeError('unauthorized', 'Authentication required.');
  if (p.role !== 'namespace') throw forbidden('Use a namespace API key for this route; admin keys manage namespaces and keys.');
  return { namespaceId: p.namespaceId, namespace: p.namespace };
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.principal?.role !== 'admin') throw forbidden('This route needs an admin key.');
}

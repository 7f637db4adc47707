/**
 * What an adapter is given. The HTTP edge (http/mounts.ts) provides the kit; compat/ sits
 * beside http/ and imports none of it, so the kit's shape is declared here and checked
 * where the two meet (main/api.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tenant } from '../auth/principal.js';
import type { Config } from '../config/config.js';
import type { AppContext } from '../core/context.js';
import type { ErrorCode, IntakeError } from '../lib/errors.js';
import type { Background } from '../lib/background.js';
import type { FormPart } from '../uploads/form-upload.js';

export interface CompatKit {
  /** The namespace key's tenant (admin key 403, else 401); the key's rate limit, X-RateLimit-* set. */
  tenant(request: FastifyRequest, reply: FastifyReply): Promise<Tenant>;
  /** A keyless route (a self-authorising URL): the client address's budget. */
  byAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  formParts(request: FastifyRequest): AsyncGenerator<FormPart>;
  gate: {
    admit<T>(fn: () => Promise<T>): Promise<T>;
    exclusive<T>(id: string, fn: () => Promise<T>): Promise<T>;
  };
  /** Any error as a contract error, or null for a bug. */
  contractError(err: unknown): IntakeError | null;
  status: Readonly<Record<ErrorCode, number>>;
}

export interface CompatDeps {
  ctx: AppContext;
  background: Background;
  config: Pick<Config, 'http'>;
}

export type CompatMount = (app: FastifyInstance, kit: CompatKit) => Promise<void>;

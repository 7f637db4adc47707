import type { FastifyInstance } from 'fastify';
import { sendOk } from '../envelope.js';
import { fail } from '../envelope.js';

export type Probe = () => Promise<void>;

export function healthRoutes(probes: Record<string, Probe>) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { schema: { summary: 'The process is up', description: 'Liveness probe: 200 while the process answers. No key.', tags: ['operations'], security: [] } }, async (_request, reply) => sendOk(reply, { status: 'ok' }));

    app.get('/readyz', { schema: { summary: 'Database, storage and job queue are reachable', description: 'Readiness probe: 200 when every dependency answers, else 503 naming the unreachable ones. No key.', tags: ['operations'], security: [] } }, async (request, reply) => {
      const checks: Record<string, 'ok' | 'unreachable'> = {};
      await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          checks[name] = await probe().then(
            () => 'ok' as const,
            (err: unknown) => {
              request.log.warn({ err, dependency: name }, 'readiness check failed');
              return 'unreachable' as const;
            },
          );
        }),
      );
      const ready = Object.values(checks).every((v) => v === 'ok');
      if (ready) return sendOk(reply, { status: 'ready', checks });
      return reply.code(503).send(fail(request, 'unavailable', 'Not ready: a dependency is unreachable.', { checks }));
    });
  };
}

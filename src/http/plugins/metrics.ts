/**
 * Prometheus metrics at GET /metrics: process defaults plus every HTTP answer by route
 * template (never by raw URL, so ids cannot explode the label set) and status.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

export function installMetrics(app: FastifyInstance, extra: Metric[] = []): Registry {
  const registry = new Registry();
  for (const m of extra) registry.registerMetric(m);
  collectDefaultMetrics({ register: registry, prefix: 'intake_' });
  const requests = new Counter({
    name: 'intake_http_requests_total',
    help: 'HTTP answers by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'intake_http_request_duration_seconds',
    help: 'Time to answer, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  // A callback hook: it runs on every answer, and an async one costs a promise each time.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

/**
 * Prometheus metrics at GET /metrics: prom-client's default process metrics under their
 * standard names (`process_*`, `nodejs_*`, so stock Node.js dashboards work), plus every
 * HTTP answer by route template (never by raw URL, so ids cannot explode the label set)
 * and status.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * The route a request matched, as a template: `/files/*`, `/v1/uploads/:id`. @fastify/static
 * registers one route per built console file (hashed names such as `/assets/index-3f9a.js`,
 * marked by `config.file`): those count under their folder, `/assets/*`.
 */
export function routeLabel(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  if (url === undefined) return 'unmatched';
  if ((request.routeOptions.config as { file?: unknown } | undefined)?.file !== undefined && url !== '/') return url.replace(/\/[^/]*$/, '/*');
  return url;
}

export function installMetrics(app: FastifyInstance, extra: Metric[] = []): Registry {
  const registry = new Registry();
  for (const m of extra) registry.registerMetric(m);
  collectDefaultMetrics({ register: registry });
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
    const route = routeLabel(request);
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', description: 'Prometheus text: process, HTTP, upload and job metrics (docs/API-NOTES.md lists them). No key: keep it on an internal network.', tags: ['operations'], security: [] } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

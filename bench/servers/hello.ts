/**
 * Baseline for the session benchmark: a bare Fastify 5 (the framework Intake runs on)
 * that parses the same JSON body and answers 201 with a small JSON object. The gap
 * between this and POST /v1/uploads is what Intake itself costs per request.
 * Usage: node hello.js; prints its URL once listening.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });

app.post('/v1/uploads', async (request, reply) => {
  const body = request.body as { filename?: string };
  return reply.code(201).send({ data: { id: 'upl_0', filename: body.filename ?? null }, error: null });
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`hello listening on ${address}\n`);
// The parent holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));

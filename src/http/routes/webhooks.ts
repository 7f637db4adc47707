import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createWebhook, deleteWebhook, deliveryView, getWebhook, listDeliveries, listWebhooks, patchWebhook, webhookView, type WebhookDeps } from '../../webhooks/webhooks.js';
import { sendOk } from '../envelope.js';
import { tenantOf } from '../plugins/auth.js';
import { errors, Ok } from '../responses.js';
import { IdParams, ListQuery } from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Events = Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 20 });
const Url = Type.String({ minLength: 1, maxLength: 2000 });

const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  secret: Type.Optional(Type.String({ description: 'The signing secret (whsec_…); only in the answer to POST.' })),
  created_at: Type.String(),
  updated_at: Type.String(),
}, { title: 'Webhook' });

const Delivery = Type.Object({
  id: Type.String({ description: 'The message id, sent as webhook-id.' }),
  webhook_id: Type.String(),
  event: Type.String(),
  status: Type.String({ description: 'pending, delivered or failed' }),
  attempts: Type.Integer(),
  response_status: Type.Union([Type.Integer(), Type.Null()]),
  error: Nullable(Type.String()),
  payload: Type.Unknown(),
  created_at: Type.String(),
  updated_at: Type.String(),
  delivered_at: Nullable(Type.String()),
}, { title: 'WebhookDelivery' });

export function webhookRoutes(deps: WebhookDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['webhooks'];

    app.post(
      '/v1/webhooks',
      {
        schema: {
          summary: 'Register a webhook endpoint; the answer carries its signing secret, once',
          tags,
          body: Type.Object({ url: Url, events: Events, enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 201: Ok(Webhook, 'Created, with its secret.'), ...errors(400, 401) },
        },
      },
      async (request, reply) => sendOk(reply, webhookView(await createWebhook(deps, tenantOf(request), request.body), true), 201),
    );

    app.get(
      '/v1/webhooks',
      { schema: { summary: 'List webhook endpoints', tags, querystring: ListQuery, response: { 200: Ok(Type.Array(Webhook), 'Endpoints, newest first.'), ...errors(400, 401) } } },
      async (request, reply) => {
        const page = await listWebhooks(deps, tenantOf(request), request.query);
        return sendOk(reply, page.items.map((r) => webhookView(r)), 200, { next_cursor: page.nextCursor });
      },
    );

    app.get('/v1/webhooks/:id', { schema: { summary: 'A webhook endpoint', tags, params: IdParams, response: { 200: Ok(Webhook, 'The endpoint.'), ...errors(401, 404) } } }, async (request, reply) =>
      sendOk(reply, webhookView(await getWebhook(deps, tenantOf(request), request.params.id))),
    );

    app.patch(
      '/v1/webhooks/:id',
      {
        schema: {
          summary: 'Change an endpoint\'s url, events or enabled',
          tags,
          params: IdParams,
          body: Type.Object({ url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: Ok(Webhook, 'The endpoint.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => sendOk(reply, webhookView(await patchWebhook(deps, tenantOf(request), request.params.id, request.body))),
    );

    app.delete('/v1/webhooks/:id', { schema: { summary: 'Delete an endpoint and its delivery log', tags, params: IdParams, response: { 200: Ok(Webhook, 'Deleted.'), ...errors(401, 404) } } }, async (request, reply) =>
      sendOk(reply, webhookView(await deleteWebhook(deps, tenantOf(request), request.params.id))),
    );

    app.get(
      '/v1/webhooks/:id/deliveries',
      { schema: { summary: 'The delivery log of an endpoint, newest first', tags, params: IdParams, querystring: ListQuery, response: { 200: Ok(Type.Array(Delivery), 'Deliveries.'), ...errors(400, 401, 404) } } },
      async (request, reply) => {
        const page = await listDeliveries(deps, tenantOf(request), request.params.id, request.query);
        return sendOk(reply, page.items.map(deliveryView), 200, { next_cursor: page.nextCursor });
      },
    );
  };
}

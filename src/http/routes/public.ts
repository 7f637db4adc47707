import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { publicDeliveryUrl } from '../../assets/public-delivery.js';
import type { AppContext } from '../../core/context.js';
import { errors } from '../responses.js';

const Params = Type.Object({
  namespace_id: Type.String({ minLength: 1, maxLength: 100 }),
  alias: Type.String({ minLength: 1, maxLength: 100 }),
});
const LabelParams = Type.Composite([Params, Type.Object({ label: Type.String({ minLength: 1, maxLength: 40 }) })]);

/** Key-less delivery by alias for namespaces with public_delivery; short caching keeps the signed link fresh. */
export function publicRoutes(deps: AppContext) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const redirect = (url: string, reply: import('fastify').FastifyReply) =>
      reply.code(302).header('Location', url).header('Cache-Control', 'public, max-age=60').send();
    const response = { 302: Type.Null({ description: 'Location: a freshly signed delivery URL.' }), ...errors(400, 404) };

    app.get(
      '/p/:namespace_id/:alias',
      { schema: { summary: 'Public delivery by alias (namespaces with public_delivery): the default source', tags: ['delivery'], security: [], params: Params, response } },
      async (request, reply) => redirect(await publicDeliveryUrl(deps, request.params.namespace_id, request.params.alias), reply),
    );
    app.get(
      '/p/:namespace_id/:alias/:label',
      { schema: { summary: 'Public delivery by alias: the source with this label', tags: ['delivery'], security: [], params: LabelParams, response } },
      async (request, reply) => redirect(await publicDeliveryUrl(deps, request.params.namespace_id, request.params.alias, request.params.label), reply),
    );
  };
}

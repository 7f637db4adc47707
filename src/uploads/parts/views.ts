/** How a resumable session's parts look to clients: the response schemas, and by Static<> their types. */
import { Type, type Static } from '@sinclair/typebox';

/** Where to send the parts: the create response's `parts`, and POST /v1/uploads/{id}/parts. */
export const PartsView = Type.Object({
  part_size: Type.Integer(),
  count: Type.Integer(),
  urls: Type.Array(Type.Object({ part_number: Type.Integer(), url: Type.String(), offset: Type.Integer(), size: Type.Integer() })),
});
export type PartsView = Static<typeof PartsView>;
export type PartUrl = PartsView['urls'][number];

/** One received part, as GET /v1/uploads/{id}/parts lists it. */
export const PartView = Type.Object({ part_number: Type.Integer(), size: Type.Integer(), etag: Type.String() });
export type PartView = Static<typeof PartView>;

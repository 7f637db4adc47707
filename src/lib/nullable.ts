import { Type, type TSchema } from '@sinclair/typebox';

/** A schema that also allows null: the response serializer would otherwise turn null into "" or 0. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * Response schemas: they document every answer in /openapi.json and let Fastify
 * serialize it with a compiled stringifier. Nullable fields are declared nullable,
 * since the stringifier would otherwise coerce null to "" or 0.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { AssetView } from '../assets/views.js';
import { CreatedKey, KeyView, NamespaceView, NamespaceWithUsage, Usage } from '../namespaces/views.js';
import { UploadView } from '../uploads/views.js';
import { PartsView, PartView } from '../uploads/parts/views.js';

/**
 * A view under its name in /openapi.json's components/schemas (http/openapi.ts hoists every
 * schema with a known title there): the same schema, only titled.
 */
const named = <T extends TSchema>(title: string, schema: T): T => ({ ...schema, title });

// The views are defined once, beside the code that builds them; routes take them from here, named.
const AssetViewNamed = named('Asset', AssetView);
const CreatedKeyNamed = named('CreatedKey', CreatedKey);
const KeyViewNamed = named('Key', KeyView);
const NamespaceViewNamed = named('Namespace', NamespaceView);
const NamespaceWithUsageNamed = named('NamespaceWithUsage', NamespaceWithUsage);
const PartsViewNamed = named('Parts', PartsView);
const PartViewNamed = named('Part', PartView);
const UploadViewNamed = named('Upload', UploadView);
const UsageNamed = named('Usage', Usage);
export {
  AssetViewNamed as AssetView,
  CreatedKeyNamed as CreatedKey,
  KeyViewNamed as KeyView,
  NamespaceViewNamed as NamespaceView,
  NamespaceWithUsageNamed as NamespaceWithUsage,
  PartsViewNamed as PartsView,
  PartViewNamed as PartView,
  UploadViewNamed as UploadView,
  UsageNamed as Usage,
};

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const Int = Type.Integer();

const Meta = Type.Object(
  { request_id: Str, timestamp: Str, next_cursor: Type.Optional(Nullable(Str)) },
  { additionalProperties: false, title: 'Meta' },
);

const ErrorBody = Type.Object({ code: Str, message: Str, details: Type.Record(Str, Type.Unknown()) }, { title: 'ErrorBody' });

/** `{data, error: null, meta}` around `data`. */
export const Ok = <T extends TSchema>(data: T, description: string) =>
  Type.Object({ data, error: Type.Null(), meta: Meta }, { description });

export const ErrorEnvelope = Type.Object(
  { data: Type.Null(), error: ErrorBody, meta: Meta },
  { description: 'Failure: error.code is one of the stable codes of the contract.', title: 'Error' },
);

export const CreatedUpload = Type.Composite([
  UploadView,
  Type.Object({
    provider: Str,
    key: Str,
    upload_url: Nullable(Str),
    upload_method: Nullable(
      Type.Object({
        method: Str,
        headers: Type.Optional(Type.Record(Str, Str)),
        content_type: Type.Optional(Str),
        field_name: Type.Optional(Str),
        fields: Type.Optional(Type.Record(Str, Str)),
      }),
    ),
    parts: Nullable(PartsViewNamed),
    expires_in: Int,
    max_size: Int,
    next_step: Str,
  }),
], { title: 'CreatedUpload' });

export const CompletedUpload = Type.Composite([UploadView, Type.Object({ asset: Nullable(AssetViewNamed) })], { title: 'CompletedUpload' });

/** on_alias_conflict: "skip" met an asset holding the alias: nothing was signed or reserved. */
export const SkippedUpload = Type.Object({
  skipped_unique_key: Type.Literal(true),
  existing_asset_id: Str,
  asset_id: Str,
  alias: Type.Union([Str, Type.Null()], { description: 'The alias held, or null when a bucket unique key was (bucket_id).' }),
  upload_id: Type.Null(),
  upload_url: Type.Null(),
  upload_method: Type.Null(),
  next_step: Str,
}, { title: 'SkippedUpload' });

/** The error answers a route can give, by status. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorEnvelope]));

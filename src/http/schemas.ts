/** Request schemas shared by routes; they validate, type handlers and feed /openapi.json. */
import { Type, type Static } from '@sinclair/typebox';
import { MEDIA_KINDS } from '../config/config.js';
import { ASSET_STATUSES, UPLOAD_STATUSES } from '../db/schema.js';
import { ALIAS_PATTERN, METADATA_LIMITS } from '../assets/fields.js';
import { CONDITION_KEYS, CONDITION_OPERATORS } from '../uploads/conditions.js';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../uploads/parts/plan.js';

export const MIB = 1024 * 1024;

/**
 * The bound of every integer a request may carry: JSON numbers such as 1e300 are valid
 * integers to a schema but not sizes a database column or a JavaScript number holds exactly.
 */
export const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
/** Any other number (hints, condition values): finite and within the same bound. */
const BoundedNumber = (o: { minimum?: number } = {}) => Type.Number({ minimum: -MAX_INTEGER, ...o, maximum: MAX_INTEGER });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

// From the `as const` tuples, so each schema's static type is the same union the code uses.
export const Kind = Type.Union(MEDIA_KINDS.map((k) => Type.Literal(k)));

export const UploadStatus = Type.Union(UPLOAD_STATUSES.map((s) => Type.Literal(s)));

export const AssetStatus = Type.Union(ASSET_STATUSES.map((s) => Type.Literal(s)));

export const Metadata = Type.Object(
  {},
  {
    // Arrays and objects are checked inside by the use cases (assets/fields.ts checkMetadata).
    additionalProperties: Type.Union([
      Type.String({ maxLength: METADATA_LIMITS.stringLength }),
      Type.Number(),
      Type.Boolean(),
      Type.Null(),
      Type.Array(Type.Unknown()),
      Type.Record(Type.String(), Type.Unknown()),
    ]),
    maxProperties: METADATA_LIMITS.keys,
    description: `A JSON object: strings (≤ ${METADATA_LIMITS.stringLength} chars), numbers, booleans, null, and arrays and objects of them; at most ${METADATA_LIMITS.keys} keys per object, nested at most ${METADATA_LIMITS.depth} deep (this object is the first), at most ${METADATA_LIMITS.jsonBytes} bytes as JSON.`,
  },
);

const ConditionRule = Type.Object(
  {
    key: Type.Union(CONDITION_KEYS.map((k) => Type.Literal(k))),
    operator: Type.Union(CONDITION_OPERATORS.map((o) => Type.Literal(o))),
    value: Type.Union([Type.String({ maxLength: 255 }), BoundedNumber()]),
  },
  { additionalProperties: false },
);

export const Conditions = Type.Object(
  {
    operator: Type.Union([Type.Literal('&&'), Type.Literal('||')]),
    rules: Type.Array(ConditionRule, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);

export const CreateUploadBody = Type.Object(
  {
    // Required unless source_url is sent (checked by the route: the schema stays one object).
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Required, except for an import (source_url): then the URL\'s last path segment; and for bare_form, single_url and store_put sessions: then "upload".' })),
    content_type: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Required, except for an import (source_url) and for bare_form, single_url and store_put sessions: then the bytes decide, as for application/octet-stream.' })),
    file_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INTEGER, description: 'Required, except for an import (source_url) and for bare_form, single_url and store_put sessions (then learned from the bytes).' })),
    max_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INTEGER, description: 'With file_size left out: the most bytes the session takes (default and ceiling: its kind\'s limit).' })),
    source_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Import: Intake fetches the file from this http(s) URL (202; the upload\'s status tells how it went).' })),
    kind: Type.Optional(Kind),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    folder: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: ALIAS_PATTERN })),
    metadata: Type.Optional(Metadata),
    file_hash: Type.Optional(Type.String({ pattern: '^[A-Fa-f0-9]{64}$' })),
    skip_duplicates: Type.Optional(Type.Boolean()),
    expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    resumable: Type.Optional(Type.Boolean()),
    part_size: Type.Optional(Type.Integer({ minimum: MIN_PART_SIZE, maximum: MAX_PART_SIZE })),
    method: Type.Optional(Type.Union([Type.Literal('PUT'), Type.Literal('POST')])),
    conditions: Type.Optional(Conditions),
    width: Type.Optional(BoundedNumber({ minimum: 0 })),
    height: Type.Optional(BoundedNumber({ minimum: 0 })),
    duration: Type.Optional(BoundedNumber({ minimum: 0 })),
    create_asset: Type.Optional(Type.Boolean()),
    on_alias_conflict: Type.Optional(Type.Union([Type.Literal('error'), Type.Literal('skip')])),
    protocol: Type.Optional(Type.Literal('tus', { description: 'tus: the bytes come by tus PATCH requests; upload_url is the tus upload URL with a token for this session (hand it to a browser\'s tus client, e.g. Uppy\'s uploadUrl).' })),
    bare_form: Type.Optional(Type.Boolean({ description: 'true: upload_url is Intake\'s own URL taking a multipart form with only "file" (method POST; on S3 too, Intake streams it into the bucket).' })),
    if_none_match: Type.Optional(Type.Boolean({ description: 'false: the PUT URL needs only Content-Type (no If-None-Match: *), for clients that send no other header.' })),
    bucket_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The bucket (bkt_…) the asset goes into; its checks run before signing.' })),
    bucket_property: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The bucket schema's file property this file fills (default: the filename without its extension)." })),
    bucket_type: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'The field type the file is (video, image, audio, text, pdf, document); checked against the property.' })),
    upload_metadata: Type.Optional(Metadata),
    store_put: Type.Optional(Type.Boolean({ description: 'true: upload_url is Intake\'s own URL taking the whole file by one PUT (any Content-Type; on S3 too, Intake streams it into the bucket); file_size may then be left out (learned from the bytes, quota taken as they stream).' })),
    single_url: Type.Optional(Type.Boolean({ description: 'true (resumable): upload_url is Intake\'s own URL taking every part by PUT with its 0-based index in X-Upload-Index, any size, any order, re-sendable; POST {"parts": [{"index", "etag"}]} to it finishes the session without an API key (on S3 too: Intake streams each part into the bucket\'s multipart upload).' })),
  },
  { additionalProperties: false },
);
export type CreateUploadBody = Static<typeof CreateUploadBody>;

export const CompleteBody = Type.Object(
  {
    etag: Type.Optional(Type.String({ maxLength: 200 })),
    parts: Type.Optional(Type.Array(Type.Object({ part_number: Type.Integer({ minimum: 1, maximum: 10000 }), etag: Type.String({ maxLength: 200 }) }), { maxItems: 10000 })),
    async: Type.Optional(Type.Boolean({ description: 'Answer 202 at once and verify in a job.' })),
  },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const PatchAssetBody = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    metadata: Type.Optional(Metadata),
    alias: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100, pattern: ALIAS_PATTERN }), Type.Null()])),
    folder: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CreateAssetBody = Type.Object(
  {
    uploads: Type.Array(
      Type.Object(
        { upload_id: Type.String({ minLength: 1, maxLength: 100 }), label: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: ALIAS_PATTERN })),
    folder: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    metadata: Type.Optional(Metadata),
    bucket_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The bucket the asset goes into; every upload must have been made into it.' })),
  },
  { additionalProperties: false },
);

export const SignPartsBody = Type.Object(
  { part_numbers: Type.Array(Type.Integer({ minimum: 1, maximum: 10000 }), { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

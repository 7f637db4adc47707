/**
 * What a bucket declares and how a file or metadata is checked against it: a schema of
 * typed properties (blob properties hold files, scalar ones hold metadata) and a unique
 * key (metadata fields no two of the bucket's assets share).
 */
import { invalid, withReason } from '../lib/errors.js';

/** Metadata as the assets' rules leave it (assets/fields.ts checks it before it comes here): JSON values, arrays and objects too. */
export type Metadata = Readonly<Record<string, unknown>>;

export const BLOB_TYPES = ['video', 'image', 'audio', 'text', 'pdf', 'document'] as const;
export const SCALAR_TYPES = ['string', 'number', 'boolean'] as const;
export const FIELD_TYPES = [...BLOB_TYPES, ...SCALAR_TYPES] as const;
export type BlobType = (typeof BLOB_TYPES)[number];
export type FieldType = (typeof FIELD_TYPES)[number];

export interface BucketSchema {
  properties: Record<string, { type: FieldType }>;
}

/** A blob property becomes the label of its source on a multi-file asset: lower case, as labels are. */
const BLOB_PROPERTY = /^[a-z0-9][a-z0-9_]{0,39}$/;
/** A metadata field name. */
const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;
const MAX_PROPERTIES = 50;
const MAX_KEY_FIELDS = 10;

export function isBlobType(t: string): t is BlobType {
  return (BLOB_TYPES as readonly string[]).includes(t);
}

/** The field type a content type fills: its top-level type, PDF and text apart, anything else a document. */
export function blobTypeOf(contentType: string): BlobType {
  const top = contentType.split('/')[0];
  if (top === 'video' || top === 'image' || top === 'audio' || top === 'text') return top;
  if (contentType === 'application/pdf') return 'pdf';
  return 'document';
}

/** A `document` property takes any document (PDF and text included); every other type takes its own. */
export function fits(property: BlobType, file: BlobType): boolean {
  return property === file || (property === 'document' && (file === 'pdf' || file === 'text'));
}

export function checkSchema(value: unknown): BucketSchema | null {
  if (value === undefined || value === null) return null;
  const properties = (value as { properties?: unknown }).properties;
  if (typeof value !== 'object' || Array.isArray(value) || !properties || typeof properties !== 'object' || Array.isArray(properties)) {
    throw invalid('schema must be {"properties": {"<name>": {"type": "…"}}}.', 'schema');
  }
  const entries = Object.entries(properties as Record<string, unknown>);
  if (entries.length > MAX_PROPERTIES) throw invalid(`schema may have at most ${MAX_PROPERTIES} properties.`, 'schema.properties');
  const out: BucketSchema = { properties: {} };
  for (const [name, spec] of entries) {
    const field = `schema.properties.${name}`;
    const type = String((spec as { type?: unknown } | null)?.type ?? '').toLowerCase();
    if (!(FIELD_TYPES as readonly string[]).includes(type)) throw invalid(`A property's type is one of ${FIELD_TYPES.join(', ')}.`, field);
    if (!FIELD_NAME.test(name) || name === '__proto__') throw invalid('A property name is 1–64 letters, digits or "_".', field);
    if (isBlobType(type) && (!BLOB_PROPERTY.test(name) || name === 'original')) {
      throw invalid('A file property name is 1–40 lower-case letters, digits or "_", not "original" (it labels the file on the asset).', field);
    }
    out.properties[name] = { type: type as FieldType };
  }
  return out;
}

export function checkUniqueKey(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const fields = (value as { fields?: unknown }).fields ?? value;
  if (!Array.isArray(fields) || fields.length < 1 || fields.length > MAX_KEY_FIELDS || !fields.every((f) => typeof f === 'string' && FIELD_NAME.test(f))) {
    throw invalid(`unique_key is a list of 1–${MAX_KEY_FIELDS} metadata field names (letters, digits, "_").`, 'unique_key');
  }
  if (new Set(fields).size !== fields.length) throw invalid('unique_key names a field twice.', 'unique_key');
  return fields as string[];
}

/** Metadata against the schema: a value under a scalar property must be of its type (a list or an object is of none). */
export function checkMetadataTypes(schema: BucketSchema | null, metadata: Metadata, field: string): void {
  for (const [key, v] of Object.entries(metadata)) {
    const type = schema?.properties[key]?.type;
    if (!type || v === null) continue;
    if (isBlobType(type)) throw withReason('schema_mismatch', `"${key}" is a file property of this bucket, not metadata.`, { field: `${field}.${key}` });
    if (typeof v !== type) throw withReason('schema_mismatch', `"${key}" is a ${type} in this bucket's schema.`, { field: `${field}.${key}` });
  }
}

/**
 * The unique key's values in `metadata`, as the canonical text the unique index compares
 * (null when the bucket has no unique key). Every key field must be there.
 */
export function uniqueKeyOf(fields: string[] | null, metadata: Metadata, field: string): string | null {
  if (!fields) return null;
  const values = fields.map((f) => {
    const v = metadata[f];
    if (v === undefined || v === null) throw withReason('schema_mismatch', `This bucket's unique key needs "${f}" in the metadata.`, { field: `${field}.${f}` });
    // The index compares the values' text: a list or an object has no one spelling of it.
    if (typeof v === 'object') throw withReason('schema_mismatch', `A unique-key value is a string, number or boolean; "${f}" is not.`, { field: `${field}.${f}` });
    return v;
  });
  return JSON.stringify(values);
}

/** The stored JSON columns, read back. */
export function schemaOf(row: { schema: string | null }): BucketSchema | null {
  return row.schema ? (JSON.parse(row.schema) as BucketSchema) : null;
}
export function uniqueKeyFieldsOf(row: { unique_key: string | null }): string[] | null {
  return row.unique_key ? (JSON.parse(row.unique_key) as string[]) : null;
}

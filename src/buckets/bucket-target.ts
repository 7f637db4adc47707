/**
 * The checks a session into a bucket passes before anything is signed: the bucket is the
 * caller's and active; a session that makes its asset on complete needs a schema with a
 * file property of the file's type, metadata of the schema's types, and every unique-key
 * field (whose values no other asset of the bucket may hold).
 */
import type { Tenant } from '../auth/principal.js';
import type { Store } from '../db/repositories/index.js';
import { invalid, withReason } from '../lib/errors.js';
import { blobTypeOf, checkMetadataTypes, fits, isBlobType, schemaOf, uniqueKeyFieldsOf, uniqueKeyOf, BLOB_TYPES, type Metadata } from './bucket-fields.js';
import { getBucket } from './buckets.js';

export interface BucketTargetInput {
  bucket_id: string;
  /** The schema property the file fills; default the filename without its extension. */
  bucket_property?: string;
  /** The type the client says the file is (a field type, any case); checked against the property's. */
  bucket_type?: string;
  filename: string;
  contentType: string;
  /** false: the session makes no asset now (it joins one later): no schema checks. */
  createsAsset: boolean;
  metadata: Metadata;
}

export interface BucketTarget {
  bucketId: string;
  property: string;
  /** The unique key's values (canonical JSON), or null. */
  uniqueKey: string | null;
}

/** "Alphanumeric with underscores": what a property named by the client may be. */
const PROPERTY = /^[A-Za-z0-9_]{1,64}$/;

export async function checkBucketTarget(deps: { store: Store }, tenant: Tenant, input: BucketTargetInput): Promise<BucketTarget> {
  const bucket = await getBucket(deps, tenant, input.bucket_id);
  if (bucket.active !== 1) throw withReason('bucket_inactive', `Bucket ${bucket.id} is not active; activate it before uploading.`, { field: 'bucket_id' });
  const property = input.bucket_property ?? input.filename.replace(/\.[^.]*$/, '');
  if (!PROPERTY.test(property)) throw invalid('The property (blob_property, default the filename without its extension) must be letters, digits and "_".', 'bucket_property');
  const declared = input.bucket_type?.toLowerCase();
  if (declared !== undefined && !isBlobType(declared)) throw invalid(`The file's type is one of ${BLOB_TYPES.join(', ')}.`, 'bucket_type');
  const fileType = blobTypeOf(input.contentType);
  if (declared !== undefined && !fits(declared, fileType)) throw withReason('schema_mismatch', `content_type ${input.contentType} is not a ${declared}.`, { field: 'bucket_type' });
  if (!input.createsAsset) return { bucketId: bucket.id, property, uniqueKey: null };

  const schema = schemaOf(bucket);
  if (!schema) throw withReason('schema_mismatch', `Bucket ${bucket.id} has no schema: define one, or upload without creating an object.`, { field: 'bucket_id' });
  const type = schema.properties[property]?.type;
  if (!type || !isBlobType(type)) {
    const files = Object.entries(schema.properties).filter(([, p]) => isBlobType(p.type)).map(([n]) => n);
    throw withReason('schema_mismatch', `"${property}" is not a file property of this bucket (it has ${files.join(', ') || 'none'}).`, { field: 'bucket_property' });
  }
  if (declared !== undefined && declared !== type) throw withReason('schema_mismatch', `"${property}" holds a ${type}, not a ${declared}.`, { field: 'bucket_type' });
  if (!fits(type, fileType)) throw withReason('schema_mismatch', `"${property}" holds a ${type}; content_type ${input.contentType} is not one.`, { field: 'content_type' });
  checkMetadataTypes(schema, input.metadata, 'metadata');
  return { bucketId: bucket.id, property, uniqueKey: uniqueKeyOf(uniqueKeyFieldsOf(bucket), input.metadata, 'metadata') };
}

/** What an asset built from several uploads into a bucket must meet: the same checks, for each file under its property. */
export async function checkBucketAsset(
  deps: { store: Store },
  tenant: Tenant,
  bucketId: string,
  metadata: Metadata,
  files: Array<{ bucketId: string | null; property: string | null; contentType: string; field: string }>,
): Promise<BucketTarget> {
  const bucket = await getBucket(deps, tenant, bucketId);
  if (bucket.active !== 1) throw withReason('bucket_inactive', `Bucket ${bucket.id} is not active; activate it first.`, { field: 'bucket_id' });
  const schema = schemaOf(bucket);
  for (const f of files) {
    if (f.bucketId !== bucket.id) throw invalid(`This upload was not made into bucket ${bucket.id}.`, f.field);
    const type = f.property ? schema?.properties[f.property]?.type : undefined;
    if (schema && (!type || !isBlobType(type) || !fits(type, blobTypeOf(f.contentType)))) {
      throw withReason('schema_mismatch', `The upload's property "${f.property}" is not a file property of this bucket that takes ${f.contentType}.`, { field: f.field });
    }
  }
  checkMetadataTypes(schema, metadata, 'metadata');
  return { bucketId: bucket.id, property: files[0]?.property ?? '', uniqueKey: uniqueKeyOf(uniqueKeyFieldsOf(bucket), metadata, 'metadata') };
}

/** The 409 for unique-key values another asset of the bucket holds. */
export function uniqueKeyTaken(bucketId: string, existingAssetId: string) {
  return withReason('unique_key_taken', `Asset ${existingAssetId} of bucket ${bucketId} already has these unique-key values.`, { field: 'metadata', existing_asset_id: existingAssetId });
}

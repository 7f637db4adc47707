/**
 * Buckets of a namespace: create, read, list, edit, delete. A bucket's name is unique in
 * its namespace (the unique index decides a race); its unique key is fixed at creation,
 * since its assets' stored key values were computed from it. Every query is scoped to the
 * caller's namespace.
 */
import type { Tenant } from '../auth/principal.js';
import { isUniqueViolation } from '../db/database.js';
import { decodeCursor, toPage, type Store } from '../db/repositories/index.js';
import type { BucketRow } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { conflict, invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { checkSchema, checkUniqueKey, schemaOf, uniqueKeyFieldsOf, type BucketSchema } from './bucket-fields.js';

export interface BucketDeps {
  store: Store;
  clock: Clock;
}

export interface BucketInput {
  name?: string;
  active?: boolean;
  schema?: unknown;
  unique_key?: unknown;
}

export interface BucketView {
  id: string;
  object: 'bucket';
  name: string;
  active: boolean;
  schema: BucketSchema | null;
  unique_key: string[] | null;
  created_at: string;
  updated_at: string;
}

export function bucketView(row: BucketRow): BucketView {
  return {
    id: row.id,
    object: 'bucket',
    name: row.name,
    active: row.active === 1,
    schema: schemaOf(row),
    unique_key: uniqueKeyFieldsOf(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid('name is 1–100 letters, digits, "_", "." or "-", starting with a letter or digit.', 'name');
  return name;
}

const nameTaken = (name: string) => conflict(`A bucket named "${name}" already exists in this namespace.`, { field: 'name' });

async function withNameGuard<T>(name: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (name !== undefined && isUniqueViolation(err)) throw nameTaken(name);
    throw err;
  }
}

export async function createBucket(deps: BucketDeps, tenant: Tenant, input: BucketInput): Promise<BucketRow> {
  const name = checkName(input.name);
  const schema = checkSchema(input.schema);
  const uniqueKey = checkUniqueKey(input.unique_key);
  const now = deps.clock.now().toISOString();
  const row: BucketRow = {
    id: newId('bkt'),
    namespace_id: tenant.namespaceId,
    name,
    active: input.active === false ? 0 : 1,
    schema: schema ? JSON.stringify(schema) : null,
    unique_key: uniqueKey ? JSON.stringify(uniqueKey) : null,
    created_at: now,
    updated_at: now,
  };
  await withNameGuard(name, () => deps.store.buckets.insert(row));
  return row;
}

export async function getBucket(deps: Pick<BucketDeps, 'store'>, tenant: Tenant, id: string): Promise<BucketRow> {
  const row = await deps.store.buckets.find(tenant.namespaceId, id);
  if (!row) throw notFound('Bucket');
  return row;
}

export async function listBuckets(deps: BucketDeps, tenant: Tenant, q: { limit?: number; cursor?: string }): Promise<{ items: BucketRow[]; nextCursor: string | null }> {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
  return toPage(await deps.store.buckets.list(tenant.namespaceId, { limit: limit + 1, after }), limit);
}

/** Name, `active` and schema change; the unique key cannot (its assets' key values were computed from it). */
export async function updateBucket(deps: BucketDeps, tenant: Tenant, id: string, input: BucketInput): Promise<BucketRow> {
  const current = await getBucket(deps, tenant, id);
  if (input.unique_key !== undefined) throw invalid('unique_key is fixed when the bucket is created.', 'unique_key');
  const patch: Partial<BucketRow> = {};
  if (input.name !== undefined) patch.name = checkName(input.name);
  if (input.active !== undefined) patch.active = input.active ? 1 : 0;
  if (input.schema !== undefined) {
    const schema = checkSchema(input.schema);
    patch.schema = schema ? JSON.stringify(schema) : null;
  }
  if (Object.keys(patch).length === 0) throw invalid('Send at least one of name, active, schema.');
  patch.updated_at = deps.clock.now().toISOString();
  await withNameGuard(patch.name, () => deps.store.buckets.update(tenant.namespaceId, current.id, patch));
  return getBucket(deps, tenant, id);
}

/** Only an empty bucket goes: one holding assets or open sessions is a 409 (delete those first). */
export async function deleteBucket(deps: BucketDeps, tenant: Tenant, id: string): Promise<BucketRow> {
  const row = await getBucket(deps, tenant, id);
  if (!(await deps.store.buckets.deleteIfEmpty(tenant.namespaceId, id))) {
    throw conflict('The bucket still holds assets or open uploads; delete or cancel them first.', { reason: 'not_empty' });
  }
  return row;
}

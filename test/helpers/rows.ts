/** Row factories for repository tests: valid rows with fresh ids, any column overridable. */
import type { Repositories } from '../../src/db/repositories/index.js';
import type { ApiKeyRow, BlobRow, NewAsset, NewUpload } from '../../src/db/schema.js';
import { newId } from '../../src/lib/ids.js';

export const GIB = 1024 * 1024 * 1024;

/** ISO timestamp `seconds` after a fixed instant (2030-01-01), so rows sort predictably. */
export function at(seconds: number, base = Date.UTC(2030, 0, 1)): string {
  return new Date(base + seconds * 1000).toISOString();
}

/** Inserts a namespace and returns its id. */
export async function addNamespace(repos: Repositories, quota: number | null = null): Promise<string> {
  const id = newId('ns');
  await repos.namespaces.insert({ id, name: `ns ${id}`, quota_bytes: quota, limits: '{}', created_at: at(0) });
  return id;
}

export function uploadRow(namespaceId: string, o: Partial<NewUpload> = {}): NewUpload & { id: string } {
  const id = o.id ?? newId('upl');
  return {
    id,
    namespace_id: namespaceId,
    asset_id: newId('med'),
    filename: 'photo.png',
    content_type: 'image/png',
    file_size: 1234,
    kind: 'image',
    storage_key: `${namespaceId}/${id}/original`,
    method: 'PUT',
    resumable: 0,
    skip_duplicates: 1,
    status: 'pending',
    progress: 0,
    reserved_bytes: 0,
    is_duplicate: 0,
    expires_at: at(3600),
    created_at: at(0),
    updated_at: at(0),
    ...o,
  };
}

export function assetRow(namespaceId: string, o: Partial<NewAsset> = {}): NewAsset & { id: string } {
  return {
    id: o.id ?? newId('med'),
    namespace_id: namespaceId,
    upload_id: newId('upl'),
    filename: 'photo.png',
    kind: 'image',
    folder: '/',
    metadata: '{}',
    status: 'ready',
    created_at: at(0),
    updated_at: at(0),
    ...o,
  };
}

export function apiKeyRow(namespaceId: string | null, o: Partial<ApiKeyRow> = {}): ApiKeyRow {
  const id = o.id ?? newId('key');
  return {
    id,
    namespace_id: namespaceId,
    name: 'test key',
    role: namespaceId ? 'namespace' : 'admin',
    key_hash: `hash-${id}`,
    key_prefix: 'ik_test',
    created_at: at(0),
    revoked_at: null,
    key_last4: null,
    ...o,
  };
}

export function blobRow(namespaceId: string, o: Partial<Omit<BlobRow, 'ref_count'>> = {}): Omit<BlobRow, 'ref_count'> {
  const id = o.id ?? newId('blb');
  return {
    id,
    namespace_id: namespaceId,
    sha256: newId('blb').padEnd(64, '0'),
    storage_key: `${namespaceId}/${id}`,
    size: 1234,
    created_at: at(0),
    ...o,
  };
}

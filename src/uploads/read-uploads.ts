import type { Tenant } from '../auth/principal.js';
import { decodeCursor, toPage } from '../db/repositories/index.js';
import { NO_ASSET, type UploadRow, type UploadStatus } from '../db/schema.js';
import { conflict, invalid, notFound } from '../lib/errors.js';
import { closeSession } from './close-session.js';
import type { AppContext } from '../core/context.js';
import { expireIfDue } from './expire-uploads.js';
import { OPEN } from './status.js';
import { releaseUnattached } from './sweep-unattached.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An upload by its id or its UUID, in the caller's namespace. */
export async function getUpload(deps: AppContext, tenant: Tenant, id: string): Promise<UploadRow> {
  const upload = UUID.test(id) ? await deps.store.uploads.findByUuid(tenant.namespaceId, id) : await deps.store.uploads.find(tenant.namespaceId, id);
  if (!upload) throw notFound('Upload');
  return expireIfDue(deps, upload);
}

export async function listUploads(
  deps: AppContext,
  tenant: Tenant,
  q: { limit?: number; cursor?: string; status?: UploadStatus; kind?: string },
): Promise<{ items: UploadRow[]; nextCursor: string | null }> {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
  return toPage(await deps.store.uploads.list(tenant.namespaceId, { limit: limit + 1, status: q.status, kind: q.kind, after }), limit);
}

/** DELETE /v1/uploads/{id}: cancels an unfinished session; a finished one is a conflict. */
export async function cancelUpload(deps: AppContext, tenant: Tenant, id: string): Promise<UploadRow> {
  const upload = await getUpload(deps, tenant, id);
  if (upload.status === 'canceled') return upload;
  // A completed upload kept without an asset has no asset to delete instead: cancel deletes
  // it as the 24-hour sweep would (row, bytes, quota) and answers with its last state.
  if (upload.status === 'completed' && upload.asset_id === NO_ASSET) {
    if (!(await releaseUnattached(deps, upload))) return cancelUpload(deps, tenant, upload.id);
    return { ...upload, status: 'canceled', updated_at: deps.clock.now().toISOString() };
  }
  if (!OPEN.includes(upload.status)) {
    const hint = upload.status === 'completed' || upload.status === 'processing' ? ' Delete its asset instead.' : '';
    throw conflict(`The upload is ${upload.status} and cannot be canceled.${hint}`, { status: upload.status });
  }
  if (!(await closeSession(deps, upload, 'canceled', OPEN))) return cancelUpload(deps, tenant, upload.id);
  return (await deps.store.uploads.find(tenant.namespaceId, upload.id))!;
}

/** GET /v1/uploads/{id}/parts: what has arrived, so a client can resume where it stopped. */
import type { Tenant } from '../../auth/principal.js';
import { MultipartNotFoundError, type StoredPart } from '../../storage/object-storage.js';
import type { AppContext } from '../../core/context.js';
import { getUpload } from '../read-uploads.js';
import { notResumable } from './sign-parts.js';
import type { PartView } from './views.js';

export async function listUploadParts(deps: AppContext, tenant: Tenant, id: string): Promise<PartView[]> {
  const upload = await getUpload(deps, tenant, id);
  if (upload.resumable !== 1) throw notResumable(upload);
  // Assembled, canceled or expired: the parts are gone (an assembled upload is one object now).
  if (!upload.multipart_id) return [];
  let parts: StoredPart[];
  try {
    parts = await deps.storage.listParts(upload.storage_key, upload.multipart_id);
  } catch (err) {
    if (err instanceof MultipartNotFoundError) return [];
    throw err;
  }
  // Parts sent straight to the store (S3) are news to Intake until it lists them.
  if (parts.length && upload.status === 'pending') {
    await deps.store.uploads.transition(upload.id, ['pending'], { status: 'uploading', updated_at: deps.clock.now().toISOString() });
  }
  return parts.map((p) => ({ part_number: p.partNumber, size: p.size, etag: p.etag }));
}

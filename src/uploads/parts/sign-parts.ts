/**
 * Part URLs of a resumable session: the first ones come with the create response, more
 * from POST /v1/uploads/{id}/parts. Each is bound to its session, part number, the part's
 * size and the session's expiry.
 */
import type { Tenant } from '../../auth/principal.js';
import type { UploadRow } from '../../db/schema.js';
import { IntakeError, conflict, invalid } from '../../lib/errors.js';
import type { AppContext } from '../../core/context.js';
import { getUpload } from '../read-uploads.js';
import { OPEN } from '../status.js';
import { partRange, planParts, URLS_PER_RESPONSE, type PartPlan } from './plan.js';
import type { PartsView } from './views.js';

export type { PartsView };

/** The plan a resumable session was created with. */
export function planOf(upload: UploadRow): PartPlan {
  return planParts(upload.file_size, upload.part_size ?? undefined);
}

export function notResumable(upload: UploadRow): IntakeError {
  return conflict('This upload is not resumable: it has no parts.', { status: upload.status, reason: 'not_resumable' });
}

async function signPartUrls(deps: AppContext, upload: UploadRow, numbers: number[]): Promise<PartsView> {
  const plan = planOf(upload);
  const urls = await Promise.all(
    numbers.map(async (n) => {
      const { offset, size } = partRange(upload.file_size, plan, n);
      const url = await deps.storage.presignPart(upload.storage_key, upload.multipart_id!, n, {
        maxSize: size,
        expiresAt: new Date(upload.expires_at),
        uploadId: upload.id,
      });
      return { part_number: n, url, offset, size };
    }),
  );
  return { part_size: plan.partSize, count: plan.count, urls };
}

/** The create response's parts: URLs for the first ≤ 100 parts. */
export function firstPartUrls(deps: AppContext, upload: UploadRow): Promise<PartsView> {
  const count = Math.min(planOf(upload).count, URLS_PER_RESPONSE);
  return signPartUrls(deps, upload, Array.from({ length: count }, (_, i) => i + 1));
}

/** POST /v1/uploads/{id}/parts: fresh URLs for the parts asked for, while bytes may still arrive. */
export async function signMoreParts(deps: AppContext, tenant: Tenant, id: string, numbers: number[]): Promise<PartsView> {
  const upload = await getUpload(deps, tenant, id);
  if (upload.resumable !== 1) throw notResumable(upload);
  if (upload.status === 'expired') throw new IntakeError('expired', 'The upload session has expired.', { status: upload.status });
  if (!OPEN.includes(upload.status) || !upload.multipart_id) throw conflict(`The upload is ${upload.status}; no more parts can be sent.`, { status: upload.status });
  const { count } = planOf(upload);
  const bad = numbers.find((n) => n > count);
  if (bad !== undefined) throw invalid(`This upload has ${count} parts; there is no part ${bad}.`, 'part_numbers', { count });
  return signPartUrls(deps, upload, [...new Set(numbers)].sort((a, b) => a - b));
}

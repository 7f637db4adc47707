/**
 * The first step of complete for a resumable session: check the parts (the client's list,
 * or every part held) against the plan, then have storage join them into the object. The
 * session is already claimed (`processing`), so no part can change meanwhile. Once joined,
 * the row forgets its multipart upload, so a retried complete goes straight to verifying.
 */
import type { UploadRow } from '../../db/schema.js';
import { IntakeError, type ExtraDetails, type ReasonOf } from '../../lib/errors.js';
import { MultipartNotFoundError, type AssembledObject, type StoredPart } from '../../storage/object-storage.js';
import type { AppContext } from '../../core/context.js';
import { MIN_PART_SIZE } from './plan.js';
import { planOf } from './sign-parts.js';
import { noBytesYet } from '../verify-object.js';

export interface ListedPart {
  part_number: number;
  etag: string;
}

const failed = (reason: ReasonOf<'verification_failed'>, message: string, extra: ExtraDetails = {}) =>
  new IntakeError('verification_failed', message, { reason, ...extra });

export async function assembleParts(deps: AppContext, upload: UploadRow, listed?: ListedPart[]): Promise<UploadRow> {
  const multipartId = upload.multipart_id;
  if (!multipartId) return upload;
  let held: StoredPart[];
  try {
    held = await deps.storage.listParts(upload.storage_key, multipartId);
  } catch (err) {
    if (!(err instanceof MultipartNotFoundError)) throw err;
    // An earlier attempt joined the parts and stopped before recording it: the object is there.
    if (await deps.storage.head(upload.storage_key)) return recordAssembled(deps, upload, null);
    throw failed('missing_part', 'No parts were received for this upload.');
  }
  // Nothing sent yet: the session stays open (complete-upload.ts reopens it).
  if (held.length === 0) throw noBytesYet();
  const chosen = listed ? pickListed(held, listed) : pickAll(upload, held);
  checkSizes(upload, chosen);
  const assembled = await deps.storage.completeMultipart(
    upload.storage_key,
    multipartId,
    chosen.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
  );
  return recordAssembled(deps, upload, assembled);
}

/** The client's list, in part order: every part must be held, with the ETag it was given. */
export function pickListed(held: StoredPart[], listed: ListedPart[]): StoredPart[] {
  if (listed.length === 0) throw failed('missing_part', 'The parts list is empty.');
  const byNumber = new Map(held.map((p) => [p.partNumber, p]));
  const sorted = [...listed].sort((a, b) => a.part_number - b.part_number);
  return sorted.map((l, i) => {
    if (i > 0 && sorted[i - 1]!.part_number === l.part_number) throw failed('duplicate_part', `Part ${l.part_number} is listed twice.`, { part_number: l.part_number });
    const part = byNumber.get(l.part_number);
    if (!part) throw failed('missing_part', `Part ${l.part_number} was never received.`, { part_number: l.part_number });
    if (bare(part.etag) !== bare(l.etag)) {
      throw failed('etag_mismatch', `Part ${l.part_number} held is not the one with that ETag.`, { part_number: l.part_number, expected: l.etag, actual: part.etag });
    }
    return part;
  });
}

/** No list: every part of the plan must be there. */
function pickAll(upload: UploadRow, held: StoredPart[]): StoredPart[] {
  const { count } = planOf(upload);
  const numbers = new Set(held.map((p) => p.partNumber));
  const missing: number[] = [];
  for (let n = 1; n <= count && missing.length < 100; n++) if (!numbers.has(n)) missing.push(n);
  if (missing.length) throw failed('missing_part', `Part ${missing[0]} was never received.`, { part_number: missing[0], missing_parts: missing });
  return held.filter((p) => p.partNumber <= count);
}

/** S3's rule (every part but the last ≥ 5 MiB), then the total against file_size. */
function checkSizes(upload: UploadRow, parts: StoredPart[]): void {
  parts.slice(0, -1).forEach((p) => {
    if (p.size < MIN_PART_SIZE) {
      throw failed('part_too_small', `Part ${p.partNumber} has ${p.size} bytes; every part but the last needs at least ${MIN_PART_SIZE}.`, {
        part_number: p.partNumber,
        size: p.size,
        min_size: MIN_PART_SIZE,
      });
    }
  });
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (total !== upload.file_size) {
    throw failed('size_mismatch', `Expected ${upload.file_size} bytes, the parts hold ${total}.`, { expected: upload.file_size, actual: total });
  }
}

async function recordAssembled(deps: AppContext, upload: UploadRow, assembled: AssembledObject | null): Promise<UploadRow> {
  const patch = {
    multipart_id: null,
    received_size: assembled?.size ?? null,
    received_sha256: assembled?.sha256 ?? null,
    received_etag: assembled?.etag ?? null,
    updated_at: deps.clock.now().toISOString(),
  };
  await deps.store.uploads.update(upload.id, patch);
  return { ...upload, ...patch };
}

function bare(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

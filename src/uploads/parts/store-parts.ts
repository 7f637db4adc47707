/**
 * A resumable session with one URL for all its parts (`single_url`, `…/store/resumable?key=…`):
 * each PUT carries its 0-based index in `X-Upload-Index` and may come in any order or be
 * sent again (the last one sent is kept); POST `{parts: [{index, etag}]}` to the same URL
 * joins them, without an API key. The key is the credential (storage/store-urls.ts:
 * session, method, cap, expiry); once finished the URL takes nothing more (409). On every
 * driver Intake receives the parts and streams each into the store's multipart upload.
 */
import type { Readable } from 'node:stream';
import type { AppContext } from '../../core/context.js';
import type { UploadRow } from '../../db/schema.js';
import { IntakeError, conflict, invalid } from '../../lib/errors.js';
import { MultipartNotFoundError } from '../../storage/object-storage.js';
import { completeUpload, type Completed } from '../complete-upload.js';
import { quotaExceeded } from '../limits.js';
import { writeFailure } from '../receive-bytes.js';
import { storeSession, type Exclusive } from '../store-form.js';
import { sizeDeferred } from '../streamed-quota.js';
import { MAX_PART_SIZE, MAX_PARTS } from './plan.js';

export interface IndexedPart {
  index: number;
  etag: string;
}

/** The `X-Upload-Index` header as a part index (0 … 9,999: S3's 10,000 parts). */
export function partIndex(raw: string | string[] | undefined): number {
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || !/^\d{1,5}$/.test(text.trim()) || Number(text) >= MAX_PARTS) {
    throw invalid(`X-Upload-Index must be the part's 0-based index, 0 to ${MAX_PARTS - 1}.`, 'X-Upload-Index');
  }
  return Number(text);
}

async function singleUrlSession(deps: AppContext, key: string | undefined): Promise<UploadRow> {
  const upload = await storeSession(deps, key, 'PUT');
  if (upload.resumable !== 1 || !upload.multipart_id) throw conflict('This upload URL takes no parts.', { status: upload.status, reason: 'not_resumable' });
  return upload;
}

/** One part PUT to the session's URL: `length` is its Content-Length (S3 needs it before the bytes). */
export async function receiveIndexedPart(
  deps: AppContext,
  key: string | undefined,
  index: number,
  length: number | undefined,
  body: Readable,
  exclusive: Exclusive,
): Promise<IndexedPart & { size: number }> {
  // The token and the session are checked before a byte of the body is read.
  const upload = await singleUrlSession(deps, key);
  // Parts of one session arrive in parallel; one writer per part index (a re-send waits for the first).
  return exclusive(`${upload.id}#${index}`, () => writeIndexedPart(deps, upload, index, length, body));
}

async function writeIndexedPart(deps: AppContext, upload: UploadRow, index: number, length: number | undefined, body: Readable): Promise<IndexedPart & { size: number }> {
  if (length === undefined) throw new IntakeError('invalid_request', 'Send the part with a Content-Length header.', { field: 'Content-Length' });
  const cap = Math.min(MAX_PART_SIZE, upload.file_size);
  const tooLarge = () => new IntakeError('file_too_large', `A part of this upload may be at most ${cap} bytes.`, { max_size: cap, part_index: index });
  if (length > cap) throw tooLarge();
  // No declared size: each part takes its quota before a byte is read (its length is known), and hands it to the session with its record.
  const reserved = (await sizeDeferred(deps, upload)) ? await reservePart(deps, upload, length) : 0;
  const multipartId = upload.multipart_id!;
  let handed = false;
  try {
    const written = await deps.storage.writePart(upload.storage_key, multipartId, index + 1, body, {
      maxSize: Math.min(cap, length),
      length,
      contentType: upload.content_type,
      around: async (_w, publish) => {
        await deps.store.transaction(async (r) => {
          if (!(await r.uploads.partReceived(upload.id, multipartId, deps.clock.now().toISOString()))) {
            throw conflict('The upload was completed or closed while the part was arriving.', { status: 'closed' });
          }
          if (reserved) await r.uploads.addReservation(upload.id, reserved);
          await publish();
        });
        handed = true;
      },
    });
    return { index, etag: written.etag, size: written.size };
  } catch (err) {
    if (err instanceof MultipartNotFoundError) throw conflict('The upload was closed while the part was arriving.', { status: 'closed' });
    throw writeFailure(deps, err, tooLarge);
  } finally {
    if (reserved && !handed) await deps.store.namespaces.adjust(upload.namespace_id, { reserved: -reserved });
  }
}

/** Reserves a part's bytes in the namespace's quota, or refuses it (403 quota_exceeded). */
async function reservePart(deps: AppContext, upload: UploadRow, length: number): Promise<number> {
  if (length === 0 || (await deps.store.namespaces.reserve(upload.namespace_id, length))) return length;
  const namespace = await deps.store.namespaces.find(upload.namespace_id);
  throw namespace ? quotaExceeded(namespace, length) : new IntakeError('not_found', 'Upload session not found.');
}

/** POST `{parts}` to the session's URL: the listed parts joined, verified and completed (one use). */
export async function finishIndexedParts(deps: AppContext, key: string | undefined, parts: IndexedPart[]): Promise<Completed> {
  const upload = await singleUrlSession(deps, key);
  if (parts.length === 0) throw invalid('parts lists no part.', 'parts');
  // Native complete with the list: a session that declared no size takes the parts' total (parts/learn-size.ts).
  return completeUpload(deps, { namespaceId: upload.namespace_id }, upload.id, { parts: parts.map((p) => ({ part_number: p.index + 1, etag: p.etag })) });
}


/**
 * Sessions that declared no size (create-upload.ts, `file_size` left out): their size is
 * learned from the bytes, and quota is taken while the bytes stream, a step at a time, as
 * for form bodies (form-quota.ts), then handed to the session with the bytes' record.
 */
import type { Readable } from 'node:stream';
import type { UploadRow } from '../db/schema.js';
import type { AppContext } from '../core/context.js';
import { IntakeError } from '../lib/errors.js';
import { peekStream } from '../lib/peek-stream.js';
import { SNIFF_BYTES } from '../media/sniff.js';
import { isUntypedSession, typeFromBytes } from './check-type.js';
import type { FormBodies, QuotaMeter } from './form-quota.js';
import { quotaExceeded, sizeLimit } from './limits.js';
import { incompleteBody, receiveBytes } from './receive-bytes.js';
import { currentNamespace } from './create-upload.js';

/** True while the session's size is still to be learned from its bytes. */
export async function sizeDeferred(deps: AppContext, upload: UploadRow): Promise<boolean> {
  return (await deps.store.transfers.find(upload.id))?.length_deferred === 1;
}

export interface Metered {
  stream: Readable;
  /** The most bytes this body may carry: the session's cap, or its kind's limit when lower. */
  maxSize: number;
  meter: QuotaMeter | null;
}

/**
 * The body as storage should read it: quota-metered when the namespace has a quota. With
 * `sniff`, an untyped session's first bytes are typed so its kind's limit bounds the stream
 * (a part that is not the file's first cannot be typed: the cap holds, complete the kind's limit).
 */
export async function meterBody(deps: AppContext, upload: UploadRow, body: Readable, bodies: FormBodies, sniff: boolean): Promise<Metered> {
  const namespace = await currentNamespace(deps, { namespaceId: upload.namespace_id });
  let stream = body;
  let maxSize = upload.file_size;
  if (sniff) {
    const peeked = await peekStream(body, SNIFF_BYTES).catch((err: unknown) => {
      throw err instanceof IntakeError ? err : incompleteBody();
    });
    stream = peeked.stream;
    const type = isUntypedSession(upload) ? await typeFromBytes(peeked.head) : upload.content_type;
    if (deps.types.isAllowed(type)) maxSize = Math.min(maxSize, sizeLimit(deps, namespace, deps.types.kindOf(type)));
  }
  const meter = namespace.quota_bytes === null ? null : bodies.start(deps.store, namespace.id);
  return { stream: meter ? meter.wrap(stream) : stream, maxSize, meter };
}

/** After the write: quota not handed to the session goes back; a refused body is 403 quota_exceeded. */
export async function settleMeter(deps: AppContext, upload: UploadRow, meter: QuotaMeter | null, err?: unknown): Promise<unknown> {
  if (!meter) return err;
  await meter.release();
  if (err !== undefined && meter.refused) {
    const namespace = await deps.store.namespaces.find(upload.namespace_id);
    return namespace ? quotaExceeded(namespace, meter.received) : err;
  }
  return err;
}

/**
 * The bytes of a session that declared no size, as a store URL receives them: typed by
 * their first bytes, metered for quota, bounded by their kind's limit, and recorded with
 * the size they had and the quota they took as the session's reservation.
 */
export async function receiveUnsized(deps: AppContext, upload: UploadRow, body: Readable, bodies: FormBodies): Promise<{ upload: UploadRow; etag: string; size: number }> {
  const { stream, maxSize, meter } = await meterBody(deps, upload, body, bodies, true);
  try {
    const got = await receiveBytes(deps, deps.storage, upload, stream, { maxSize, held: () => meter?.held ?? 0 });
    meter?.handOver();
    return { upload: { ...upload, file_size: got.size }, ...got };
  } catch (err) {
    throw await settleMeter(deps, upload, meter, err);
  } finally {
    await settleMeter(deps, upload, meter);
  }
}

/**
 * HMAC-SHA256 signatures for the URLs Intake serves itself (local-disk mode). A URL is
 * bound to its method, storage key, expiry and, for uploads, content type, maximum size
 * and session; for downloads, the type and disposition it will be served with.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedFields {
  method: 'PUT' | 'POST' | 'GET';
  key: string;
  /** Unix seconds. */
  expires: number;
  contentType?: string;
  maxSize?: number;
  uploadId?: string;
  disposition?: string;
  filename?: string;
  /** Part URLs of a resumable session: the part number. */
  part?: number;
}

export type Verdict = 'ok' | 'bad_signature' | 'expired';

function canonical(f: SignedFields): string {
  return JSON.stringify([
    'intake-v1',
    f.method,
    f.key,
    f.expires,
    f.contentType ?? '',
    f.maxSize ?? '',
    f.uploadId ?? '',
    f.disposition ?? '',
    f.filename ?? '',
    // Appended only for part URLs, so every other signature is unchanged.
    ...(f.part === undefined ? [] : [f.part]),
  ]);
}

export function sign(secret: string, fields: SignedFields): string {
  return createHmac('sha256', secret).update(canonical(fields)).digest('base64url');
}

/** Checks the signature first, so a tampered URL is "bad" even when also expired. */
export function verify(secret: string, fields: SignedFields, signature: string, nowMs: number): Verdict {
  const expected = Buffer.from(sign(secret, fields));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  if (!Number.isFinite(fields.expires) || fields.expires * 1000 < nowMs) return 'expired';
  return 'ok';
}

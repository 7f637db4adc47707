/**
 * The credential a browser's tus client carries for one session (`?token=` on the upload
 * URL that POST /v1/uploads with `"protocol": "tus"` returns): bound to that session and an
 * expiry by an HMAC with the signing secret, so an app server hands a browser the right to
 * send one file and never its API key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function mac(secret: string, uploadId: string, expires: number): string {
  return createHmac('sha256', secret).update(JSON.stringify(['intake-tus-v1', uploadId, expires])).digest('base64url');
}

/** `<unix seconds>.<signature>` */
export function tusToken(secret: string, uploadId: string, expiresAt: Date): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return `${expires}.${mac(secret, uploadId, expires)}`;
}

export function checkTusToken(secret: string, uploadId: string, token: string, nowMs: number): 'ok' | 'expired' | 'bad' {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return 'bad';
  const expires = Number(m[1]);
  const want = Buffer.from(mac(secret, uploadId, expires));
  const got = Buffer.from(m[2]!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'bad';
  return expires * 1000 < nowMs ? 'expired' : 'ok';
}

/**
 * Intake's own self-authorising upload URLs (`…/store/single?key=…`), on every storage
 * driver: the `key` token names the session, the method, the size cap and the expiry, and
 * is signed (HMAC-SHA256, storage/signed-url.ts) with the signing secret. Intake receives
 * what is sent there and streams it into storage (the bucket, on S3).
 */
import { sign, verify, type Verdict } from './signed-url.js';

export interface StoreToken {
  uploadId: string;
  method: 'POST' | 'PUT';
  /** Unix seconds. */
  expires: number;
  /** The most bytes the session takes. */
  maxSize: number;
}

const fieldsOf = (t: StoreToken) => ({ method: t.method, key: `store:${t.uploadId}`, expires: t.expires, maxSize: t.maxSize, uploadId: t.uploadId });

export class StoreUrls {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
  ) {}

  /** The URL at `path` (under Intake's public URL) whose `key` carries `t`. */
  url(path: string, t: StoreToken): string {
    const body = Buffer.from(JSON.stringify([t.uploadId, t.method, t.expires, t.maxSize])).toString('base64url');
    return `${this.baseUrl}${path}?key=${body}.${sign(this.secret, fieldsOf(t))}`;
  }

  /** The token in `key` if its signature holds for `method` and it has not expired. */
  read(key: string | undefined, method: StoreToken['method'], nowMs: number): StoreToken | Exclude<Verdict, 'ok'> {
    const [body, sig] = (key ?? '').split('.');
    if (!body || !sig) return 'bad_signature';
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'bad_signature';
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) return 'bad_signature';
    const [uploadId, signedMethod, expires, maxSize] = parsed as unknown[];
    if (typeof uploadId !== 'string' || signedMethod !== method || typeof expires !== 'number' || typeof maxSize !== 'number') return 'bad_signature';
    const t: StoreToken = { uploadId, method, expires, maxSize };
    const verdict = verify(this.secret, fieldsOf(t), sig, nowMs);
    return verdict === 'ok' ? t : verdict;
  }
}

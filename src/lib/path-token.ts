/**
 * Tokens carried in a URL's path (`…/<expires>.<sig>/…`) rather than its query string: a
 * player resolves the relative URIs of a playlist against the playlist's URL, so every
 * playlist and segment under the token's folder carries it, and none outlives it.
 * HMAC-SHA256 over a scope (what the token opens) and the expiry; checked in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenVerdict = 'ok' | 'bad_signature' | 'expired';

export class PathTokens {
  constructor(
    private readonly secret: string,
    /** Where the API is reached (INTAKE_PUBLIC_URL), for absolute URLs. */
    readonly baseUrl: string,
  ) {}

  /** `<expires>.<sig>` for `scope`, valid until `expiresAt` (whole seconds). */
  token(scope: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${expires}.${this.sign(scope, expires)}`;
  }

  /** The signature first, so a tampered token is "bad" even when also expired. */
  verify(scope: string, token: string, nowMs: number): TokenVerdict {
    const [e, sig = ''] = token.split('.', 2);
    const expires = Number(e);
    const expected = Buffer.from(this.sign(scope, expires));
    const given = Buffer.from(sig);
    if (!/^\d{1,12}$/.test(e ?? '') || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
    return expires * 1000 < nowMs ? 'expired' : 'ok';
  }

  private sign(scope: string, expires: number): string {
    return createHmac('sha256', this.secret).update(JSON.stringify(['intake-path-v1', scope, expires])).digest('base64url');
  }
}

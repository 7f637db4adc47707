/**
 * API keys are `sk_` + 40 random characters, stored only as their SHA-256 (they carry
 * 200+ bits of entropy, so a slow hash would add nothing). The lookup is by hash and the
 * final comparison is constant-time; the admin key from the environment is compared the
 * same way.
 */
import { IntakeError } from '../lib/errors.js';
import { timingSafeEqual } from 'node:crypto';
import { sha256, sha256Hex } from '../lib/hashing.js';
import { randomToken } from '../lib/ids.js';
import type { ApiKeysRepository } from '../db/repositories/api-keys.js';
import { KeyCache, type FoundKey } from './key-cache.js';
import type { Principal } from './principal.js';

const KEY_RE = /^sk_[a-z0-9]{40}$/;

export function generateSecret(): string {
  return `sk_${randomToken(40)}`;
}

export function hashSecret(secret: string): string {
  return sha256Hex(secret);
}

/** Stored and computed key hashes are hex SHA-256 (64 characters): compared in constant time. */
function sameHash(stored: string, computed: string): boolean {
  return stored.length === computed.length && timingSafeEqual(Buffer.from(stored), Buffer.from(computed));
}

export class Authenticator {
  private readonly adminDigest: Buffer;

  constructor(
    private readonly keys: ApiKeysRepository,
    adminKey: string,
    /** Shared with Namespaces, which makes it forget revoked keys and changed namespaces. */
    private readonly cache = new KeyCache(),
    private readonly nowMs: () => number = Date.now,
  ) {
    this.adminDigest = sha256(adminKey);
  }

  /** The caller behind an Authorization header; throws `unauthorized` for anything else. */
  async authenticate(header: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) throw new IntakeError('unauthorized', 'Send an API key as "Authorization: Bearer sk_…".');
    const secret = match[1];
    // One SHA-256 per request: digests of equal length compare in constant time.
    const digest = sha256(secret);
    if (timingSafeEqual(digest, this.adminDigest)) return { role: 'admin', keyId: null };
    if (!KEY_RE.test(secret)) throw new IntakeError('unauthorized', 'The API key is malformed.');
    const hash = digest.toString('hex');
    const found = this.cache.get(hash, this.nowMs()) ?? (await this.lookUp(hash));
    if (!found || !sameHash(found.key.key_hash, hash)) throw new IntakeError('unauthorized', 'The API key is unknown or revoked.');
    const row = found.key;
    if (row.role === 'admin' || !row.namespace_id) return { role: 'admin', keyId: row.id };
    return { role: 'namespace', keyId: row.id, namespaceId: row.namespace_id, namespace: found.namespace ?? undefined };
  }

  private async lookUp(hash: string): Promise<FoundKey | undefined> {
    const mark = this.cache.mark();
    const found = await this.keys.findActiveWithNamespace(hash);
    if (found) this.cache.set(hash, found, this.nowMs(), mark);
    return found;
  }
}

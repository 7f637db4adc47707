/**
 * Keys this process authenticated in the last few seconds, with their namespace, by key
 * hash: a busy key then costs one map lookup per request instead of a query.
 *
 * Revocation delay: revoking a key, or changing or removing a namespace, through this
 * process forgets the entries at once. Any other process holding the key (a second API
 * process, or the CLI revoking while the server runs) sees the change when its entry
 * expires: within `ttlMs` (KEY_CACHE_TTL_MS by default), the documented bound.
 * Unknown and revoked keys are never cached: every such request goes to the database.
 */
import type { ApiKeyRow, NamespaceRow } from '../db/schema.js';

export interface FoundKey {
  key: ApiKeyRow;
  namespace: NamespaceRow | null;
}

/** The longest another process keeps accepting a key after it was revoked. */
const KEY_CACHE_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

/** What a change in this process must forget; Namespaces calls it, the authenticator's cache implements it. */
export interface KeyInvalidation {
  forgetKey(keyId: string): void;
  forgetNamespace(namespaceId: string): void;
}

export class KeyCache implements KeyInvalidation {
  private readonly entries = new Map<string, { found: FoundKey; until: number }>();
  /** Bumped by every forget: a lookup that started before one must not store its (maybe stale) answer. */
  private generation = 0;

  constructor(private readonly ttlMs = KEY_CACHE_TTL_MS) {}

  get(hash: string, nowMs: number): FoundKey | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > nowMs) return entry.found;
    this.entries.delete(hash);
    return undefined;
  }

  /** Call before reading the database; pass the result to `set`. */
  mark(): number {
    return this.generation;
  }

  set(hash: string, found: FoundKey, nowMs: number, mark: number): void {
    if (this.ttlMs <= 0 || mark !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { found, until: nowMs + this.ttlMs });
  }

  forgetKey(keyId: string): void {
    this.forget((f) => f.key.id === keyId);
  }

  forgetNamespace(namespaceId: string): void {
    this.forget((f) => f.key.namespace_id === namespaceId);
  }

  private forget(match: (f: FoundKey) => boolean): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (match(entry.found)) this.entries.delete(hash);
  }
}

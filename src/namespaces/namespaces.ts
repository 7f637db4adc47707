/** Administration: namespaces, their keys, and what they use. */
import type { MediaKind } from '../config/config.js';
import { MEDIA_KINDS } from '../config/config.js';
import type { Repositories, Store } from '../db/repositories/index.js';
import type { NamespaceRow } from '../db/schema.js';
import { invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Clock } from '../lib/clock.js';
import { generateSecret, hashSecret } from '../auth/authenticator.js';

export interface NamespaceInput {
  name: string;
  quota_bytes?: number | null;
  limits?: Partial<Record<MediaKind, number>>;
}

export interface NamespaceView {
  id: string;
  name: string;
  quota_bytes: number | null;
  limits: Partial<Record<MediaKind, number>>;
  created_at: string;
}

export interface CreatedKey {
  id: string;
  namespace_id: string | null;
  name: string;
  role: 'admin' | 'namespace';
  /** Shown once; only its hash is kept. */
  secret: string;
  prefix: string;
  created_at: string;
}

export function namespaceView(row: NamespaceRow): NamespaceView {
  return { id: row.id, name: row.name, quota_bytes: row.quota_bytes, limits: parseLimits(row.limits), created_at: row.created_at };
}

export function parseLimits(json: string): Partial<Record<MediaKind, number>> {
  return JSON.parse(json) as Partial<Record<MediaKind, number>>;
}

export class Namespaces {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(input: NamespaceInput): Promise<NamespaceView> {
    const name = input.name.trim();
    if (!name || name.length > 100) throw invalid('name must be 1–100 characters.', 'name');
    for (const kind of Object.keys(input.limits ?? {})) {
      if (!MEDIA_KINDS.includes(kind as MediaKind)) throw invalid(`limits has an unknown kind "${kind}".`, `limits.${kind}`);
    }
    const row = {
      id: newId('ns'),
      name,
      quota_bytes: input.quota_bytes ?? null,
      limits: JSON.stringify(input.limits ?? {}),
      created_at: this.clock.now().toISOString(),
    };
    await this.store.namespaces.insert(row);
    return namespaceView({ ...row, stored_bytes: 0, reserved_bytes: 0 });
  }

  async get(id: string): Promise<NamespaceRow> {
    const row = await this.store.namespaces.find(id);
    if (!row) throw notFound('Namespace');
    return row;
  }

  /** A key for one namespace, or an admin key when `namespaceId` is null. */
  async createKey(namespaceId: string | null, name: string, repos: Repositories = this.store): Promise<CreatedKey> {
    if (namespaceId !== null && !(await repos.namespaces.find(namespaceId))) throw notFound('Namespace');
    const secret = generateSecret();
    const row = {
      id: newId('key'),
      namespace_id: namespaceId,
      name: name.trim() || 'default',
      role: namespaceId === null ? ('admin' as const) : ('namespace' as const),
      key_hash: hashSecret(secret),
      key_prefix: secret.slice(0, 7),
      created_at: this.clock.now().toISOString(),
      revoked_at: null,
    };
    await repos.apiKeys.insert(row);
    return { id: row.id, namespace_id: namespaceId, name: row.name, role: row.role, secret, prefix: row.key_prefix, created_at: row.created_at };
  }

  async revokeKey(id: string): Promise<{ id: string; revoked_at: string }> {
    const at = this.clock.now().toISOString();
    if (!(await this.store.apiKeys.revoke(id, at))) {
      const existing = await this.store.apiKeys.find(id);
      if (!existing) throw notFound('API key');
      return { id, revoked_at: existing.revoked_at ?? at };
    }
    return { id, revoked_at: at };
  }

  /** Namespace and its first key in one transaction (the CLI's "create namespace"). */
  async createWithKey(input: NamespaceInput, keyName: string): Promise<{ namespace: NamespaceView; key: CreatedKey }> {
    const namespace = await this.create(input);
    const key = await this.createKey(namespace.id, keyName);
    return { namespace, key };
  }

  async usage(namespaceId: string): Promise<{ namespace_id: string; stored_bytes: number; reserved_bytes: number; quota_bytes: number | null; limits: Partial<Record<MediaKind, number>> }> {
    const row = await this.get(namespaceId);
    return {
      namespace_id: row.id,
      stored_bytes: row.stored_bytes,
      reserved_bytes: row.reserved_bytes,
      quota_bytes: row.quota_bytes,
      limits: parseLimits(row.limits),
    };
  }
}

/** Administration: namespaces, their keys, and what they use. */
import type { MediaKind } from '../config/config.js';
import { MEDIA_KINDS } from '../config/config.js';
import type { Repositories, Store } from '../db/repositories/index.js';
import type { NamespaceRow } from '../db/schema.js';
import { decodeCursor, toPage } from '../db/repositories/index.js';
import { conflict, invalid, notFound } from '../lib/errors.js';
import { isUniqueViolation } from '../db/database.js';
import { newId } from '../lib/ids.js';
import { hasUnsafeText } from '../lib/safe-text.js';
import type { Clock } from '../lib/clock.js';
import { generateSecret, hashSecret } from '../auth/authenticator.js';
import type { KeyInvalidation } from '../auth/key-cache.js';
import { normalizeTransform, TransformError } from '../media/transform.js';
import type { CreatedKey, KeyView, NamespaceView, NamespaceWithUsage, Presets, UsageBase } from './views.js';

export interface NamespaceInput {
  name: string;
  quota_bytes?: number | null;
  limits?: Partial<Record<MediaKind, number>>;
}

export interface NamespaceEdit {
  name?: string;
  quota_bytes?: number | null;
  limits?: Partial<Record<MediaKind, number>>;
  public_delivery?: boolean;
  presets?: Presets;
}

function namespaceView(row: NamespaceRow): NamespaceView {
  return {
    id: row.id,
    name: row.name,
    quota_bytes: row.quota_bytes,
    limits: parseLimits(row.limits),
    public_delivery: row.public_delivery === 1,
    presets: JSON.parse(row.presets) as Presets,
    created_at: row.created_at,
  };
}

export function namespaceWithUsage(row: NamespaceRow): NamespaceWithUsage {
  return { ...namespaceView(row), stored_bytes: row.stored_bytes, reserved_bytes: row.reserved_bytes };
}

/** A namespace's name, on create and on PATCH alike: the rule filenames and titles follow. */
function checkName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 100) throw invalid('name must be 1–100 characters.', 'name');
  if (hasUnsafeText(name)) throw invalid('name must not contain control (NUL, CR, LF…), format (bidirectional, zero-width, BOM) or line-separator characters.', 'name');
  return name;
}

/** A key's name (default "default"), by the same rule. */
function checkKeyName(raw: string): string {
  const name = raw.trim();
  if (hasUnsafeText(name)) throw invalid('name must not contain control (NUL, CR, LF…), format (bidirectional, zero-width, BOM) or line-separator characters.', 'name');
  return name || 'default';
}

function checkLimits(limits: Partial<Record<MediaKind, number>> | undefined): void {
  for (const kind of Object.keys(limits ?? {})) {
    if (!MEDIA_KINDS.includes(kind as MediaKind)) throw invalid(`limits has an unknown kind "${kind}".`, `limits.${kind}`);
  }
}

/** Each preset must be a transform the URL form would accept (sizes × dpr within bounds). */
function checkPresets(presets: Presets | undefined): void {
  for (const [name, params] of Object.entries(presets ?? {})) {
    try {
      normalizeTransform(params);
    } catch (err) {
      if (err instanceof TransformError) throw invalid(`presets.${name}: ${err.message}`, `presets.${name}.${err.field}`);
      throw err;
    }
  }
}

export function parseLimits(json: string): Partial<Record<MediaKind, number>> {
  return JSON.parse(json) as Partial<Record<MediaKind, number>>;
}

/** A write that may collide with another namespace's name (unique index, migration 0010): a conflict, not a 500. */
async function nameTaken<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (name !== undefined && isUniqueViolation(err)) throw conflict(`A namespace named "${name}" already exists.`, { field: 'name' });
    throw err;
  }
}

export class Namespaces {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** The authenticator's key cache: a revoked key or a changed namespace stops being served from it at once. */
    private readonly keyCache: KeyInvalidation = { forgetKey: () => undefined, forgetNamespace: () => undefined },
  ) {}

  async create(input: NamespaceInput, repos: Repositories = this.store): Promise<NamespaceView> {
    const name = checkName(input.name);
    checkLimits(input.limits);
    const row = {
      id: newId('ns'),
      name,
      quota_bytes: input.quota_bytes ?? null,
      limits: JSON.stringify(input.limits ?? {}),
      created_at: this.clock.now().toISOString(),
    };
    await nameTaken(name, () => repos.namespaces.insert(row));
    return namespaceView({ ...row, stored_bytes: 0, reserved_bytes: 0, public_delivery: 0, presets: '{}' });
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
      name: checkKeyName(name),
      role: namespaceId === null ? ('admin' as const) : ('namespace' as const),
      key_hash: hashSecret(secret),
      key_prefix: secret.slice(0, 7),
      created_at: this.clock.now().toISOString(),
      revoked_at: null,
      key_last4: secret.slice(-4),
    };
    await repos.apiKeys.insert(row);
    return { id: row.id, namespace_id: namespaceId, name: row.name, role: row.role, secret, prefix: row.key_prefix, created_at: row.created_at };
  }

  async revokeKey(id: string): Promise<{ id: string; revoked_at: string }> {
    const at = this.clock.now().toISOString();
    const revoked = await this.store.apiKeys.revoke(id, at);
    this.keyCache.forgetKey(id);
    if (!revoked) {
      const existing = await this.store.apiKeys.find(id);
      if (!existing) throw notFound('API key');
      return { id, revoked_at: existing.revoked_at ?? at };
    }
    return { id, revoked_at: at };
  }

  /** Namespace and its first key in one transaction (the CLI's "create namespace"). */
  async createWithKey(input: NamespaceInput, keyName: string): Promise<{ namespace: NamespaceView; key: CreatedKey }> {
    return this.store.transaction(async (r) => {
      const namespace = await this.create(input, r);
      const key = await this.createKey(namespace.id, keyName, r);
      return { namespace, key };
    });
  }

  async list(q: { limit?: number; cursor?: string }): Promise<{ items: NamespaceWithUsage[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
    const page = toPage(await this.store.namespaces.list({ limit: limit + 1, after }), limit);
    return { items: page.items.map(namespaceWithUsage), nextCursor: page.nextCursor };
  }

  /**
   * Changes settings, never stored bytes: a quota lowered below what is stored only makes
   * the reservation check refuse new sessions. Returns the namespace before and after.
   */
  async update(id: string, edit: NamespaceEdit): Promise<{ before: NamespaceWithUsage; after: NamespaceWithUsage }> {
    const before = namespaceWithUsage(await this.get(id));
    checkLimits(edit.limits);
    checkPresets(edit.presets);
    const patch: Parameters<Store['namespaces']['updateSettings']>[1] = {};
    if (edit.name !== undefined) patch.name = checkName(edit.name);
    if (edit.quota_bytes !== undefined) patch.quota_bytes = edit.quota_bytes;
    if (edit.limits !== undefined) patch.limits = JSON.stringify(edit.limits);
    if (edit.public_delivery !== undefined) patch.public_delivery = edit.public_delivery ? 1 : 0;
    if (edit.presets !== undefined) patch.presets = JSON.stringify(edit.presets);
    const updated = await nameTaken(patch.name, () => this.store.namespaces.updateSettings(id, patch));
    this.keyCache.forgetNamespace(id);
    if (!updated) throw notFound('Namespace');
    return { before, after: namespaceWithUsage(await this.get(id)) };
  }

  async listKeys(namespaceId: string): Promise<KeyView[]> {
    await this.get(namespaceId);
    return (await this.store.apiKeys.listByNamespace(namespaceId)).map((k) => ({
      id: k.id,
      namespace_id: k.namespace_id,
      name: k.name,
      role: k.role,
      prefix: k.key_prefix,
      last4: k.key_last4,
      created_at: k.created_at,
      revoked_at: k.revoked_at,
    }));
  }

  async usage(namespaceId: string): Promise<UsageBase> {
    const row = await this.get(namespaceId);
    return {
      namespace_id: row.id,
      namespace_name: row.name,
      stored_bytes: row.stored_bytes,
      reserved_bytes: row.reserved_bytes,
      quota_bytes: row.quota_bytes,
      limits: parseLimits(row.limits),
    };
  }
}

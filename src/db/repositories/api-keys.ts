import type { Kysely } from 'kysely';
import type { ApiKeyRow, Database, NamespaceRow } from '../schema.js';
import { prepare } from '../prepared.js';

// Every request with a key not in the authenticator's cache runs it: prepared once (see db/prepared.ts).
const findKey = prepare((db: Kysely<Database>, keyHash: string) =>
  db
    .selectFrom('api_keys')
    .leftJoin('namespaces', 'namespaces.id', 'api_keys.namespace_id')
    .selectAll('api_keys')
    .select([
      'namespaces.name as ns_name',
      'namespaces.quota_bytes as ns_quota_bytes',
      'namespaces.limits as ns_limits',
      'namespaces.stored_bytes as ns_stored_bytes',
      'namespaces.reserved_bytes as ns_reserved_bytes',
      'namespaces.created_at as ns_created_at',
      'namespaces.public_delivery as ns_public_delivery',
      'namespaces.presets as ns_presets',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .where('api_keys.revoked_at', 'is', null),
);

export class ApiKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  /** The unrevoked key with this hash and, for a namespace key, its namespace, in one query. */
  async findActiveWithNamespace(keyHash: string): Promise<{ key: ApiKeyRow; namespace: NamespaceRow | null } | undefined> {
    const row = (await findKey(this.db, keyHash)).rows[0];
    if (!row) return undefined;
    const { ns_name, ns_quota_bytes, ns_limits, ns_stored_bytes, ns_reserved_bytes, ns_created_at, ns_public_delivery, ns_presets, ...key } = row;
    const namespace =
      key.namespace_id && ns_name !== null
        ? {
            id: key.namespace_id,
            name: ns_name,
            quota_bytes: ns_quota_bytes,
            limits: ns_limits ?? '{}',
            stored_bytes: ns_stored_bytes ?? 0,
            reserved_bytes: ns_reserved_bytes ?? 0,
            created_at: ns_created_at ?? '',
            public_delivery: ns_public_delivery ?? 0,
            presets: ns_presets ?? '{}',
          }
        : null;
    return { key, namespace };
  }

  async find(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Keys of one namespace, newest first (admin listing; never the hash). */
  async listByNamespace(namespaceId: string): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().where('namespace_id', '=', namespaceId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

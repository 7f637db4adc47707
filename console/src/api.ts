/**
 * The console's calls to Intake's public API (same origin), through the SDK's typed client
 * (clients/sdk): the key from the tab's session storage goes in the Authorization header,
 * never in a URL.
 */
import { createIntakeClient, IntakeError, type ApiData, type ApiQuery, type Asset, type IntakeClient } from '@intake/sdk';

export type { Asset, IntakeClient };
export type Source = Asset['sources'][number];
export type Usage = ApiData<'/v1/usage', 'get', 200>;
export type Namespace = ApiData<'/v1/namespaces', 'get', 200>[number];
export type Key = ApiData<'/v1/keys', 'get', 200>[number];
export type CreatedKey = ApiData<'/v1/keys', 'post', 201>;
export type TransformQuery = NonNullable<ApiQuery<'/v1/assets/{id}/url', 'get'>>;

export function clientFor(apiKey: string): IntakeClient {
  return createIntakeClient({ baseUrl: location.origin, apiKey });
}

export function sourceOf(a: Asset, label: string): Source | undefined {
  return a.sources.find((s) => s.label === label);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof IntakeError && err.status === 401;
}

/** A one-line reason for an error, for the page. */
export function explain(err: unknown): string {
  if (err instanceof IntakeError) return err.message;
  if ((err as Error)?.name === 'IntakeNetworkError') return 'Intake cannot be reached.';
  return (err as Error)?.message ?? String(err);
}

type Answer<T> = { response: Response; data?: { data: T; meta: { next_cursor?: string | null } }; error?: unknown };

/** The data of an admin answer, or its error as an IntakeError. */
function dataOf<T>(answer: Answer<T>): { data: T; nextCursor: string | null } {
  if (!answer.response.ok || !answer.data) {
    const envelope = answer.error as { error?: { code: string; message: string } } | undefined;
    throw new IntakeError(answer.response.status, envelope?.error ?? { code: 'http_error', message: `HTTP ${answer.response.status}` });
  }
  return { data: answer.data.data, nextCursor: answer.data.meta.next_cursor ?? null };
}

/** A page of namespaces (admin key): the admin routes are reached through the client's typed `raw` calls. */
export async function listNamespaces(client: IntakeClient, cursor: string | null): Promise<{ items: Namespace[]; nextCursor: string | null }> {
  const { data, nextCursor } = dataOf(await client.raw.GET('/v1/namespaces', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }));
  return { items: data as Namespace[], nextCursor };
}

export async function createNamespace(client: IntakeClient, body: { name: string; quota_bytes: number | null }): Promise<Namespace> {
  const { data } = dataOf(await client.raw.POST('/v1/namespaces', { body }));
  return { stored_bytes: 0, reserved_bytes: 0, ...data } as Namespace;
}

export async function listKeys(client: IntakeClient, namespaceId: string): Promise<Key[]> {
  return dataOf(await client.raw.GET('/v1/keys', { params: { query: { namespace_id: namespaceId } } })).data as Key[];
}

export async function createKey(client: IntakeClient, namespaceId: string, name: string): Promise<CreatedKey> {
  return dataOf(await client.raw.POST('/v1/keys', { body: { namespace_id: namespaceId, name } })).data as CreatedKey;
}

/** Namespace keys look like this (src/auth/authenticator.ts); anything else is tried as the admin key first. */
const NAMESPACE_KEY = /^sk_[a-z0-9]{40}$/;

/** Who a key is: a namespace key reads its usage; the admin key lists namespaces (each is refused by the other's route). */
export async function identify(client: IntakeClient, key: string): Promise<{ role: 'namespace'; usage: Usage } | { role: 'admin' }> {
  const asNamespace = async () => ({ role: 'namespace' as const, usage: await client.usage() });
  const asAdmin = async () => (await listNamespaces(client, null), { role: 'admin' as const });
  const [first, second] = NAMESPACE_KEY.test(key) ? [asNamespace, asAdmin] : [asAdmin, asNamespace];
  try {
    return await first();
  } catch (err) {
    if (err instanceof IntakeError && err.status === 403) return second();
    throw err;
  }
}

/** A signed URL of the asset rendered at another size or format (`GET /v1/assets/{id}/url`). */
export async function transformUrl(client: IntakeClient, assetId: string, query: TransformQuery): Promise<{ url: string; expires_at: string }> {
  const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as TransformQuery;
  return dataOf(await client.raw.GET('/v1/assets/{id}/url', { params: { path: { id: assetId }, query: defined } })).data as { url: string; expires_at: string };
}

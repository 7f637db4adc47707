/**
 * The console's calls to Intake's public API (same origin), with the key from the tab's
 * session storage in the Authorization header: never in a URL.
 */

export interface Source {
  id: string;
  label: string;
  mimetype: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  filesize: number;
  bitrate: number | null;
  url: string;
}

export interface Asset {
  id: string;
  upload_id: string;
  kind: string;
  mimetype: string | null;
  filename: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
  filesize: number | null;
  sha256: string | null;
  title: string | null;
  alias: string | null;
  folder: string;
  metadata: Record<string, string | number | boolean | null>;
  status: string;
  error: { code: string; message: string } | null;
  url: string | null;
  sources: Source[];
  created_at: string;
  updated_at: string;
}

export interface Usage {
  namespace_id: string;
  stored_bytes: number;
  reserved_bytes: number;
  quota_bytes: number | null;
}

export interface Namespace {
  id: string;
  name: string;
  quota_bytes: number | null;
  stored_bytes: number;
  reserved_bytes: number;
  public_delivery: boolean;
  created_at: string;
}

export function sourceOf(a: Asset, label: string): Source | undefined {
  return a.sources.find((s) => s.label === label);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Page<T> {
  data: T;
  nextCursor: string | null;
}

export async function api<T>(key: string, method: string, path: string, signal?: AbortSignal): Promise<Page<T>> {
  let res: Response;
  try {
    res = await fetch(path, { method, headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' }, cache: 'no-store', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Intake cannot be reached.');
  }
  const body = (await res.json().catch(() => null)) as { data: T; error: { code: string; message: string } | null; meta?: { next_cursor?: string | null } } | null;
  if (!res.ok || !body || body.error) {
    throw new ApiError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
  }
  return { data: body.data, nextCursor: body.meta?.next_cursor ?? null };
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Namespace keys look like this (src/auth/authenticator.ts); anything else is tried as the admin key first. */
const NAMESPACE_KEY = /^sk_[a-z0-9]{40}$/;

/** Who a key is: a namespace key reads its usage; the admin key lists namespaces (each is refused by the other's route). */
export async function identify(key: string): Promise<{ role: 'namespace'; usage: Usage } | { role: 'admin' }> {
  const asNamespace = async () => ({ role: 'namespace' as const, usage: (await api<Usage>(key, 'GET', '/v1/usage')).data });
  const asAdmin = async () => (await api<Namespace[]>(key, 'GET', '/v1/namespaces?limit=1'), { role: 'admin' as const });
  const [first, second] = NAMESPACE_KEY.test(key) ? [asNamespace, asAdmin] : [asAdmin, asNamespace];
  try {
    return await first();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return second();
    throw err;
  }
}

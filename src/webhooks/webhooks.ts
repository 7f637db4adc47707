/** Webhook endpoints of a namespace: create (secret shown once), list, edit, delete, and their delivery log. */
import type { Tenant } from '../auth/principal.js';
import { decodeCursor, toPage, type Store } from '../db/repositories/index.js';
import type { DeliveryRow, WebhookRow } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { WEBHOOK_EVENTS } from './events.js';
import { newWebhookSecret } from './signature.js';
import { isPrivateAddress, resolveAll } from './url-guard.js';

export interface WebhookDeps {
  store: Store;
  clock: Clock;
  allowPrivate: boolean;
}

export interface WebhookInput {
  url?: string;
  events?: string[];
  enabled?: boolean;
}

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export function webhookView(row: WebhookRow, withSecret = false): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(withSecret ? { secret: row.secret } : {}),
  };
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    response_status: row.response_status,
    error: row.error,
    payload: JSON.parse(row.body) as unknown,
    created_at: row.created_at,
    updated_at: row.updated_at,
    delivered_at: row.delivered_at,
  };
}

async function checkUrl(deps: WebhookDeps, raw: string): Promise<string> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalid('url must be an absolute http(s) URL.', 'url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('url must be an absolute http(s) URL.', 'url');
  if (u.username || u.password) throw invalid('url must not carry credentials.', 'url');
  let addresses: string[];
  try {
    addresses = await resolveAll(u.hostname);
  } catch {
    throw invalid(`The host ${u.hostname} does not resolve.`, 'url', { reason: 'unresolvable' });
  }
  if (!deps.allowPrivate && addresses.some(isPrivateAddress)) {
    throw invalid('url resolves to a loopback, link-local or private address.', 'url', { reason: 'private_address' });
  }
  return u.toString();
}

function checkEvents(events: string[]): string[] {
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length) throw invalid(`Unknown events: ${unknown.join(', ')}. Known: ${WEBHOOK_EVENTS.join(', ')}.`, 'events');
  if (!events.length) throw invalid('events must name at least one event.', 'events');
  return [...new Set(events)];
}

export async function createWebhook(deps: WebhookDeps, tenant: Tenant, input: Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput): Promise<WebhookRow> {
  const url = await checkUrl(deps, input.url);
  const events = checkEvents(input.events);
  const now = deps.clock.now().toISOString();
  const row: WebhookRow = { id: newId('whk'), namespace_id: tenant.namespaceId, url, events: JSON.stringify(events), secret: newWebhookSecret(), enabled: input.enabled === false ? 0 : 1, created_at: now, updated_at: now };
  await deps.store.webhooks.insert(row);
  return row;
}

export async function getWebhook(deps: WebhookDeps, tenant: Tenant, id: string): Promise<WebhookRow> {
  const row = await deps.store.webhooks.find(tenant.namespaceId, id);
  if (!row) throw notFound('Webhook');
  return row;
}

export async function listWebhooks(deps: WebhookDeps, tenant: Tenant, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
  return toPage(await deps.store.webhooks.list(tenant.namespaceId, { limit: limit + 1, after }), limit);
}

export async function patchWebhook(deps: WebhookDeps, tenant: Tenant, id: string, input: WebhookInput): Promise<WebhookRow> {
  await getWebhook(deps, tenant, id);
  const patch: Partial<WebhookRow> = { updated_at: deps.clock.now().toISOString() };
  if (input.url !== undefined) patch.url = await checkUrl(deps, input.url);
  if (input.events !== undefined) patch.events = JSON.stringify(checkEvents(input.events));
  if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
  await deps.store.webhooks.update(tenant.namespaceId, id, patch);
  return getWebhook(deps, tenant, id);
}

export async function deleteWebhook(deps: WebhookDeps, tenant: Tenant, id: string): Promise<WebhookRow> {
  const row = await getWebhook(deps, tenant, id);
  await deps.store.webhooks.delete(tenant.namespaceId, id);
  return row;
}

export async function listDeliveries(deps: WebhookDeps, tenant: Tenant, id: string, q: { limit?: number; cursor?: string }) {
  await getWebhook(deps, tenant, id);
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !after) throw invalid('cursor is not one this API returned.', 'cursor');
  return toPage(await deps.store.webhooks.listDeliveries(id, { limit: limit + 1, after }), limit);
}

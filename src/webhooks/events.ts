/**
 * Webhook events are recorded in the same transaction as the change they report: one
 * delivery row per subscribed endpoint and the job that sends it, so a crash can neither
 * lose an event nor announce a change that was rolled back.
 */
import type { Repositories } from '../db/repositories/index.js';
import type { AssetRow, UploadRow } from '../db/schema.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';

export const WEBHOOK_EVENTS = ['upload.completed', 'upload.failed', 'upload.expired', 'asset.ready', 'asset.failed', 'asset.deleted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface EventDeps {
  jobs: JobQueue;
  clock: Clock;
}

export function uploadData(u: UploadRow): Record<string, unknown> {
  return {
    upload_id: u.id,
    asset_id: u.asset_id,
    status: u.status,
    filename: u.filename,
    kind: u.kind,
    error: u.error_code ? { code: u.error_code, message: u.error_message ?? '' } : null,
  };
}

export function assetData(a: AssetRow): Record<string, unknown> {
  return {
    asset_id: a.id,
    upload_id: a.upload_id,
    status: a.status,
    kind: a.kind,
    mimetype: a.mimetype,
    alias: a.alias,
    error: a.error_code ? { code: a.error_code, message: a.error_message ?? '' } : null,
  };
}

/** Records `type` for every endpoint of the namespace that subscribed to it. Call inside the change's transaction. */
export async function emitEvent(deps: EventDeps, r: Repositories, namespaceId: string, type: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  const hooks = (await r.webhooks.listEnabled(namespaceId)).filter((h) => (JSON.parse(h.events) as string[]).includes(type));
  if (!hooks.length) return;
  const now = deps.clock.now().toISOString();
  for (const hook of hooks) {
    const id = newId('msg');
    const body = JSON.stringify({ type, timestamp: now, data });
    await r.webhooks.insertDelivery({ id, webhook_id: hook.id, namespace_id: namespaceId, event: type, body, status: 'pending', created_at: now, updated_at: now });
    await deps.jobs.enqueue(r, { name: 'webhook.deliver', payload: { deliveryId: id } });
  }
}

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
import type { UploadObserver } from '../core/upload-observer.js';

export const WEBHOOK_EVENTS = ['upload.completed', 'upload.failed', 'upload.expired', 'asset.ready', 'asset.failed', 'asset.deleted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface EventDeps {
  jobs: JobQueue;
  clock: Clock;
  /** Every upload.completed and upload.failed passes here, so the observer hears each once, whoever emits it. */
  observer?: UploadObserver;
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
    placeholder: a.thumbhash && a.color ? { thumbhash: a.thumbhash, color: a.color } : null,
    error: a.error_code ? { code: a.error_code, message: a.error_message ?? '' } : null,
  };
}

/** Records `type` for every endpoint of the namespace that subscribed to it. Call inside the change's transaction. */
export async function emitEvent(deps: EventDeps, r: Repositories, namespaceId: string, type: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  if (deps.observer) await observe(deps.observer, r, type, data);
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

/**
 * Tells the observer about a completed or failed upload. Called in the change's
 * transaction, which the emitting code ends right after (a rollback after this point is
 * not a path any caller takes). A completion reads the row for its size and times.
 */
async function observe(observer: UploadObserver, r: Repositories, type: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  const kind = typeof data.kind === 'string' ? data.kind : 'unknown';
  if (type === 'upload.failed') {
    const error = data.error as { code?: unknown } | null;
    observer.failed(kind, typeof error?.code === 'string' ? error.code : 'unknown');
  } else if (type === 'upload.completed' && typeof data.upload_id === 'string') {
    const row = await r.uploads.findById(data.upload_id);
    if (!row) return;
    const seconds = row.completed_at ? Math.max(0, (Date.parse(row.completed_at) - Date.parse(row.created_at)) / 1000) : 0;
    observer.completed(row.kind, row.received_size ?? row.file_size ?? 0, seconds);
  }
}

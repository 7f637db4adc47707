import type { Kysely } from 'kysely';
import type { Database, DeliveryRow, WebhookRow, WebhooksTable, WebhookDeliveriesTable } from '../schema.js';
import type { Insertable, Updateable } from 'kysely';
import { olderThan, type PageCursor } from './page.js';

export class WebhooksRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: Insertable<WebhooksTable>): Promise<void> {
    await this.db.insertInto('webhooks').values(row).execute();
  }

  async find(namespaceId: string, id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
  }

  async list(namespaceId: string, opts: { limit: number; after?: PageCursor }): Promise<WebhookRow[]> {
    let q = this.db.selectFrom('webhooks').selectAll().where('namespace_id', '=', namespaceId);
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  /** Enabled endpoints of the namespace; the caller filters by event (a JSON list). */
  async listEnabled(namespaceId: string): Promise<WebhookRow[]> {
    return this.db.selectFrom('webhooks').selectAll().where('namespace_id', '=', namespaceId).where('enabled', '=', 1).execute();
  }

  async update(namespaceId: string, id: string, patch: Updateable<WebhooksTable>): Promise<boolean> {
    const res = await this.db.updateTable('webhooks').set(patch).where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async delete(namespaceId: string, id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('webhooks').where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  async insertDelivery(row: Insertable<WebhookDeliveriesTable>): Promise<void> {
    await this.db.insertInto('webhook_deliveries').values(row).execute();
  }

  async findDelivery(id: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Records an attempt; a delivered one is never changed again. */
  async recordAttempt(id: string, patch: Updateable<WebhookDeliveriesTable>): Promise<void> {
    await this.db.updateTable('webhook_deliveries').set(patch).where('id', '=', id).where('status', '!=', 'delivered').execute();
  }

  async listDeliveries(webhookId: string, opts: { limit: number; after?: PageCursor }): Promise<DeliveryRow[]> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
    if (opts.after) q = q.where(olderThan(opts.after));
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  }

  /** Removes finished deliveries (delivered or failed) last touched before `cutoff`. */
  async purgeDeliveries(cutoff: string): Promise<number> {
    const res = await this.db.deleteFrom('webhook_deliveries').where('status', '!=', 'pending').where('updated_at', '<', cutoff).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

import { sql, type Kysely } from 'kysely';

/**
 * Crash recovery in seconds. A verification holds its session under a short lease
 * (`lease_token`, `lease_until`), renewed while it runs, so a retried complete or another
 * process takes over within one lease period after the holder dies. A session claimed
 * before this migration counts as leased until its last update (the old rule: taken over
 * once it has been untouched long enough). The BullMQ outbox keeps a relayed row
 * (`relayed_at`) until its job finishes, so a job Redis lost can be queued again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('lease_token', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('lease_until', 'text').execute();
  await sql`UPDATE uploads SET lease_until = updated_at WHERE status = 'processing'`.execute(db);
  // The takeover scan looks only at sessions being verified whose lease ran out.
  await db.schema.createIndex('uploads_lease').on('uploads').columns(['status', 'lease_until']).execute();
  await db.schema.alterTable('job_outbox').addColumn('relayed_at', 'text').execute();
  await db.schema.createIndex('job_outbox_relayed').on('job_outbox').columns(['relayed_at', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('job_outbox_relayed').ifExists().execute();
  await db.schema.alterTable('job_outbox').dropColumn('relayed_at').execute();
  await db.schema.dropIndex('uploads_lease').ifExists().execute();
  await db.schema.alterTable('uploads').dropColumn('lease_until').execute();
  await db.schema.alterTable('uploads').dropColumn('lease_token').execute();
}

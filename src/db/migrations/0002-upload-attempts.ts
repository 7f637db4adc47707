import type { Kysely } from 'kysely';

/** How many times completion could not run (an outage, not the bytes): drives the sweeper's backoff. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').dropColumn('attempts').execute();
}

/**
 * The sweeper across processes: two Intake instances on one PostgreSQL database (as two
 * API processes are) never sweep at the same time, sweep once per interval between them,
 * and a holder that died frees the lease once it runs out.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createIntake, type Intake } from '../../src/main/container.js';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.js';
import { ADMIN_KEY, SIGNING_SECRET, startIntake, type TestIntake } from '../helpers/intake.js';

let pg: TestDatabase;
let t: TestIntake;
let other: Intake;
before(async () => {
  pg = await createPostgresDatabase();
  t = await startIntake({ INTAKE_DATABASE_URL: pg.url });
  other = await createIntake(
    loadConfig({ INTAKE_DATA_DIR: t.dataDir, INTAKE_DATABASE_URL: pg.url, INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_SIGNING_SECRET: SIGNING_SECRET, INTAKE_LOG_LEVEL: 'silent' }),
    { logger: false, clock: t.clock },
  );
});
after(async () => {
  await other?.close();
  await t?.close();
  await pg?.drop();
});

async function overdueSessions(n: number): Promise<string[]> {
  const { key } = await t.tenant();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await t.api('POST', '/v1/uploads', { key, json: { filename: `a${i}.txt`, content_type: 'text/plain', file_size: 5, expires_in: 60 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.data.upload_id);
  }
  return ids;
}

it('two processes racing to sweep: one sweeps, the other skips; neither again until the interval has passed', async () => {
  const ids = await overdueSessions(30);
  t.clock.advance(120);
  const results = await Promise.all([t.intake.sweepIfDue(), other.sweepIfDue(), t.intake.sweepIfDue(), other.sweepIfDue()]);
  const ran = results.filter((r) => r !== null);
  assert.equal(ran.length, 1, JSON.stringify(results));
  assert.equal(ran[0]!.expired, ids.length, 'the one sweep expired every overdue session');
  const rows = await t.intake.db.kysely.selectFrom('uploads').select('status').where('id', 'in', ids).execute();
  assert.deepEqual([...new Set(rows.map((r) => r.status))], ['expired']);
  assert.deepEqual(await Promise.all([t.intake.sweepIfDue(), other.sweepIfDue()]), [null, null], 'not due again yet');
  t.clock.advance(60);
  const next = await Promise.all([t.intake.sweepIfDue(), other.sweepIfDue()]);
  assert.equal(next.filter((r) => r !== null).length, 1, 'due again after the interval, once');
});

it('a sweep on demand runs when nobody is sweeping, and is refused while another process holds the lease until that lease runs out', async () => {
  assert.ok(await other.sweep(), 'on demand, before the next periodic run is due');
  // Another process mid-sweep (or killed mid-sweep: it renews no more).
  const now = t.clock.now().getTime();
  const store = t.intake.deps.store;
  assert.equal(await store.leases.acquire('sweep', 'a-dead-process', new Date(now).toISOString(), new Date(now + 120_000).toISOString(), { ifIdle: true }), true);
  await assert.rejects(t.intake.sweep(), (err: { code?: string }) => err.code === 'conflict');
  t.clock.advance(60);
  assert.equal(await t.intake.sweepIfDue(), null, 'still held: the dead holder\'s lease has not run out');
  t.clock.advance(61);
  assert.ok(await t.intake.sweepIfDue(), 'taken once the dead holder\'s lease ran out');
});

/**
 * Storage reconciliation runs soon after start (a server restarted daily still runs it),
 * and under a lease in the database: with two processes on one database, one runs it and
 * the other skips, and neither runs it again within the day.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createIntake } from '../../src/main/container.js';
import { ADMIN_KEY, eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';

/** An object nothing references, older than the grace period: what a crash leaves. */
async function plantOrphan(t: TestIntake, namespaceId: string, name: string): Promise<string> {
  const rel = `${namespaceId}/upl_${name}/original`;
  const file = path.join(t.dataDir, 'storage', 'objects', rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'stranded');
  const old = new Date(Date.now() - 2 * 3600_000);
  await fs.utimes(file, old, old);
  return rel;
}

describe('reconciliation after start', () => {
  let t: TestIntake;
  before(async () => {
    t = await startIntake({ INTAKE_RECONCILE_DELAY_SECONDS: '0' });
  });
  after(() => t.close());

  it('removes a stranded object right after start, and keeps a completed upload\'s bytes', async () => {
    const { key, namespaceId } = await t.tenant();
    const image = await png(32, 32);
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key })).status, 200);
    const kept = await t.storedFiles();
    const orphan = await plantOrphan(t, namespaceId, 'strandedbyacrash0001');
    await t.intake.startBackground();
    await eventually(async () => !(await t.storedFiles()).includes(orphan), 10_000, 'the stranded object to be removed');
    assert.deepEqual((await t.storedFiles()).sort(), kept.sort());
  });
});

describe('the reconciliation lease', () => {
  let t: TestIntake;
  before(async () => {
    t = await startIntake();
  });
  after(() => t.close());

  it('two processes on one database: one runs, the other skips, and neither runs again within the day', async () => {
    const other = await createIntake(loadConfig({ INTAKE_DATA_DIR: t.dataDir, INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_LOG_LEVEL: 'silent' }), { logger: false });
    try {
      const { namespaceId } = await t.tenant();
      const orphan = await plantOrphan(t, namespaceId, 'strandedbyacrash0002');
      const ran = await Promise.all([t.intake.reconcileIfDue(), other.reconcileIfDue()]);
      assert.deepEqual(ran.filter(Boolean).length, 1, JSON.stringify(ran));
      assert.ok(!(await t.storedFiles()).includes(orphan));
      assert.deepEqual(await Promise.all([t.intake.reconcileIfDue(), other.reconcileIfDue()]), [false, false]);
      // A day later it is due again.
      t.clock.advance(24 * 3600);
      assert.equal(await t.intake.reconcileIfDue(), true);
    } finally {
      await other.close();
    }
  });
});

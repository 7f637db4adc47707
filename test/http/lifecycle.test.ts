import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { formUpload } from '../../src/uploads/form-upload.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { withoutJobs } from '../helpers/jobs.js';
import { png } from '../helpers/media.js';

let t: TestIntake;
before(async () => {
  t = await startIntake();
});
after(() => t.close());

async function sessionWithBytes(key: string, expiresIn = 60) {
  const bytes = await png(10, 10);
  const s = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'e.png', content_type: 'image/png', file_size: bytes.length, expires_in: expiresIn } })).body.data;
  assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes })).status, 200);
  return { s, bytes };
}

describe('expiry', () => {
  it('an overdue session reads as expired, loses its bytes and gives its reservation back', async () => {
    const { key } = await t.tenant({ quota_bytes: 10_000 });
    const { s, bytes } = await sessionWithBytes(key);
    assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, bytes.length);
    t.clock.advance(61);
    try {
      const got = await t.api('GET', `/v1/uploads/${s.upload_id}`, { key });
      assert.equal(got.body.data.status, 'expired');
      assert.equal(got.body.data.status_code, 9);
      assert.equal((await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes, 0);
      assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)));
      const complete = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
      assert.equal(complete.status, 410);
      assert.equal(complete.body.error?.code, 'expired');
    } finally {
      t.clock.advance(-61);
    }
  });

  it('the sweeper expires sessions nobody reads, and leaves fresh ones alone', async () => {
    const { key } = await t.tenant();
    const { s: old } = await sessionWithBytes(key, 60);
    const { s: fresh } = await sessionWithBytes(key, 3600);
    t.clock.advance(120);
    try {
      const result = await t.intake.sweep();
      assert.ok(result.expired >= 1);
      const rows = await t.intake.db.kysely.selectFrom('uploads').select(['id', 'status']).where('id', 'in', [old.upload_id, fresh.upload_id]).execute();
      const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
      assert.equal(status[old.upload_id], 'expired');
      assert.equal(status[fresh.upload_id], 'pending');
      const files = await t.storedFiles();
      assert.ok(!files.some((f) => f.includes(old.upload_id)));
      assert.ok(files.some((f) => f.includes(fresh.upload_id)));
    } finally {
      t.clock.advance(-120);
    }
  });

  it('purges failed, canceled and expired sessions after the retention period', async () => {
    const { key } = await t.tenant();
    const { s } = await sessionWithBytes(key);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).body.data.status, 'canceled');
    t.clock.advance(31 * 86400);
    try {
      const result = await t.intake.sweep();
      assert.ok(result.purged >= 1);
      assert.equal((await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).status, 404);
    } finally {
      t.clock.advance(-31 * 86400);
    }
  });
});

describe('storage reconciliation', () => {
  it('removes only objects nothing references, and only once they are past the grace period', async () => {
    const { key, namespaceId: ns } = await t.tenant();
    const store = (k: string) => t.intake.deps.storage.write(k, Readable.from([Buffer.from('stray')]), { maxSize: 100, contentType: 'text/plain' });
    const bytes = await png(5, 5);
    const done = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'k.png', content_type: 'image/png', file_size: bytes.length } })).body.data;
    await fetch(done.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    assert.equal((await t.api('POST', `/v1/uploads/${done.upload_id}/complete`, { key })).status, 200);
    const { s: open } = await sessionWithBytes(key, 86400);
    const canceled = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'c.png', content_type: 'image/png', file_size: 10 } })).body.data;
    await t.api('DELETE', `/v1/uploads/${canceled.upload_id}`, { key });
    // What failed deletions or crashes leave behind:
    await store(`${ns}/${canceled.upload_id}/original`);
    await store(`${ns}/upl_ghost0000000000000000/original`);
    await store(`${ns}/med_ghost0000000000000000/thumbnail`);
    await store('elsewhere/not-ours.txt');

    assert.equal((await t.intake.reconcile()).removed, 0, 'nothing is touched inside the grace period');
    t.clock.advance(2 * 3600);
    try {
      const result = await t.intake.reconcile();
      assert.equal(result.removed, 3);
      const files = await t.storedFiles();
      for (const gone of [canceled.upload_id, 'upl_ghost', 'med_ghost']) assert.ok(!files.some((f) => f.includes(gone)), gone);
      for (const kept of [done.upload_id, open.upload_id, 'elsewhere/not-ours.txt']) assert.ok(files.some((f) => f.includes(kept)), kept);
      const asset = await t.api('GET', `/v1/assets/${done.asset_id}`, { key });
      assert.equal((await fetch(asset.body.data.url)).status, 200);
    } finally {
      t.clock.advance(-2 * 3600);
    }
  });
});

describe('cancel', () => {
  it('cancels an open session and deletes its partial bytes', async () => {
    const { key } = await t.tenant();
    const { s } = await sessionWithBytes(key, 3600);
    assert.ok((await t.storedFiles()).some((f) => f.includes(s.upload_id)));
    const res = await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.status_code, 8);
    assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)));
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).status, 404);
    const put = await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: await png(10, 10) });
    assert.equal(put.status, 409);
  });
});

describe('crash recovery', () => {
  it('a form upload whose completion keeps failing is retried with backoff, never expired', async () => {
    const { key, namespaceId } = await t.tenant();
    const upload = await formUpload(withoutJobs(t.intake.deps), { namespaceId }, (async function* () {
      yield { type: 'file' as const, name: 'file', filename: 'b.png', mimetype: 'image/png', stream: Readable.from([await png(6, 6)]) };
    })());
    // Three completions could not run (an outage), the last one just now: the next retry waits 4 minutes.
    await t.intake.db.kysely.updateTable('uploads').set({ attempts: 3, updated_at: t.clock.now().toISOString() }).where('id', '=', upload.id).execute();
    t.clock.advance(7200); // well past expires_at too
    try {
      await t.intake.db.kysely.updateTable('uploads').set({ updated_at: t.clock.now().toISOString() }).where('id', '=', upload.id).execute();
      assert.equal((await t.intake.sweep()).resumed, 0, 'not before the backoff');
      assert.equal((await t.api('GET', `/v1/uploads/${upload.id}`, { key })).body.data.status, 'pending');
      t.clock.advance(5 * 60);
      assert.equal((await t.intake.sweep()).resumed, 1);
      await eventually(async () => (await t.api('GET', `/v1/uploads/${upload.id}`, { key })).body.data.status === 'completed', 10_000, 'the queued verification');
    } finally {
      t.clock.advance(-7200 - 5 * 60);
    }
  });

  it('a verification interrupted by a crash is resumed by the sweeper once its lease runs out', async () => {
    const { key } = await t.tenant();
    const { s } = await sessionWithBytes(key, 3600);
    // What a crash right after complete claimed the session leaves behind: a lease nobody renews.
    const leaseMs = t.intake.deps.config.uploads.verifyLeaseMs;
    const until = new Date(t.clock.now().getTime() + leaseMs).toISOString();
    await t.intake.db.kysely.updateTable('uploads').set({ status: 'processing', lease_token: 'dead', lease_until: until, updated_at: t.clock.now().toISOString() }).where('id', '=', s.upload_id).execute();
    assert.equal((await t.intake.sweep()).resumed, 0, 'a live lease is left to its holder');
    t.clock.advance(leaseMs / 1000 + 1);
    try {
      const result = await t.intake.sweep();
      assert.equal(result.resumed, 1);
      await eventually(async () => (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data.status === 'completed', 10_000, 'the queued verification');
      assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).body.data.status, 'ready');
    } finally {
      t.clock.advance(-(leaseMs / 1000 + 1));
    }
  });

  it('a form upload whose completion was interrupted is completed on the next start', async () => {
    const dir = await fs.mkdtemp('/tmp/intake-recover-');
    const first = await startIntake({}, { dataDir: dir, keepData: true });
    const { key, namespaceId } = await first.tenant();
    // The bytes and rows are in place, but the process "dies" before completion runs.
    const upload = await formUpload(withoutJobs(first.intake.deps), { namespaceId }, (async function* () {
      yield { type: 'file' as const, name: 'file', filename: 'r.png', mimetype: 'image/png', stream: Readable.from([await png(9, 5)]) };
    })());
    await first.close();

    const second = await startIntake({}, { dataDir: dir });
    try {
      await second.intake.startBackground();
      const done = await eventually(async () => {
        const r = await second.api('GET', `/v1/uploads/${upload.id}`, { key });
        return r.body.data.status === 'completed' ? r.body.data : null;
      });
      const asset = await second.api('GET', `/v1/assets/${done.asset_id}`, { key });
      assert.equal(asset.body.data.width, 9);
    } finally {
      await second.close();
    }
  });
});

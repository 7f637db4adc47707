/**
 * Multipart uploads a crash orphaned (started in storage, but the session row never
 * committed; or a session closed while its abort failed) are aborted by the running
 * server within a grace of seconds to minutes, not at the next daily reconciliation, and
 * one a live session owns is never touched however old: on local disk and on S3 (Ceph RGW).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from './helpers/intake.js';
import { s3Env, testBucket, type TestBucket } from './helpers/ceph.js';
import { ResumableClient, textFile } from './helpers/resumable-client.js';
import { sha256 } from './helpers/media.js';

const MIB = 1024 * 1024;
const GRACE_SECONDS = 2;

async function openMultipart(t: TestIntake): Promise<string[]> {
  const out: string[] = [];
  for await (const mp of t.intake.deps.storage.listMultipart()) out.push(mp.multipartId);
  return out.sort();
}

for (const driver of ['local disk', 'S3 (Ceph RGW)'] as const) {
  describe(`orphaned multipart uploads (${driver})`, () => {
    let bucket: TestBucket | undefined;
    let t: TestIntake;
    before(async () => {
      const env = driver === 'local disk' ? {} : s3Env((bucket = await testBucket('intake-orphans')));
      t = await startIntake({ ...env, INTAKE_MULTIPART_GRACE_SECONDS: String(GRACE_SECONDS) });
    });
    after(async () => {
      await t.close();
      await bucket?.drop();
    });

    it('are aborted within the grace; a live session keeps its parts however long it takes', async () => {
      const { key, namespaceId } = await t.tenant({ quota_bytes: 1024 * MIB });
      const client = new ResumableClient(t.api, key);
      const file = textFile(11 * MIB, 7);
      const live = await client.create({ filename: 'live.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB });
      await client.sendParts(file, [live.parts.urls[0]!]);
      const liveId = (await t.intake.deps.store.uploads.findById(live.upload_id))!.multipart_id!;
      // A crash between starting a multipart upload and committing its session row.
      const orphan = await t.intake.deps.storage.createMultipart(`${namespaceId}/upl_crashedbeforerow0000/original`, { contentType: 'text/plain' });
      // A session closed by a process that died before aborting its parts.
      const closed = await client.create({ filename: 'closed.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB });
      await client.sendParts(file, [closed.parts.urls[0]!]);
      const closedId = (await t.intake.deps.store.uploads.findById(closed.upload_id))!.multipart_id!;
      await t.intake.deps.store.uploads.transition(closed.upload_id, ['pending', 'uploading'], { status: 'canceled' });
      assert.deepEqual(await openMultipart(t), [liveId, orphan, closedId].sort());

      await t.intake.startBackground();
      await eventually(async () => (await openMultipart(t)).length === 1, 30_000, 'the orphans to be aborted');
      assert.deepEqual(await openMultipart(t), [liveId], 'the live session keeps its multipart upload');

      // Older than the grace and checked again since: still the session's, and it completes.
      await eventually(async () => {
        for await (const mp of t.intake.deps.storage.listMultipart()) if (mp.initiated.getTime() < t.clock.now().getTime() - 2 * GRACE_SECONDS * 1000) return true;
        return false;
      }, 30_000, 'the live multipart upload to be twice the grace old');
      await t.intake.reconcileMultipartIfDue();
      const done = await client.resume(live.upload_id, file, live.parts.count);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.data.asset.sha256, sha256(file));
    });
  });
}

/**
 * A complete whose process dies mid-verification: the session is `processing` under a
 * lease nobody renews any more. A retried complete (here, to the restarted server) takes
 * the verification over once the lease runs out — within one lease period, not after a
 * sweeper's quarter of an hour — and answers as the first would have.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from './helpers/intake.js';
import { fakeTool, ffmpegMedia, type FakeTool } from './helpers/media.js';
import { roleCluster, type RoleCluster } from './helpers/serve-process.js';

const LEASE_SECONDS = 2;

describe('verification across a crash', () => {
  let cluster: RoleCluster;
  let ffprobe: FakeTool;
  let pidFile: string;

  before(async () => {
    ffprobe = await fakeTool('ffprobe');
    pidFile = path.join(path.dirname(ffprobe.path), 'hung.pid');
    cluster = await roleCluster('intake-verify-crash-', { INTAKE_VERIFY_LEASE_SECONDS: String(LEASE_SECONDS), INTAKE_FFPROBE_PATH: ffprobe.path });
  });
  after(async () => {
    await cluster.close();
    // The hung probe the killed server left behind.
    const pid = Number(await fs.readFile(pidFile, 'utf8').catch(() => '0'));
    if (pid) process.kill(pid, 'SIGKILL');
    await ffprobe.remove();
  });

  it('a complete SIGKILLed mid-verification finishes on a retried complete within a lease period', async () => {
    // The probe hangs: the server is held mid-verification, as a long file would hold it.
    await ffprobe.set(`echo $$ > '${pidFile}'\nexec sleep 120`);
    const first = cluster.start('serve');
    await first.ready;
    const { key } = await cluster.tenant('crash');
    const clip = await ffmpegMedia('mp4', 1);
    const s = await cluster.uploaded(key, 'clip.mp4', 'video/mp4', clip);
    const interrupted = cluster.api('POST', `/v1/uploads/${s.upload_id}/complete`, key, {}).catch((err: unknown) => err);
    await eventually(() => fs.readFile(pidFile, 'utf8').catch(() => null), 20_000, 'the probe to start');
    assert.equal((await cluster.api('GET', `/v1/uploads/${s.upload_id}`, key)).body.data.status, 'processing');

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = performance.now();
    assert.ok((await interrupted) instanceof Error, 'the interrupted complete got no answer');

    await ffprobe.set('exec ffprobe "$@"');
    await cluster.start('serve').ready;
    const retried = await cluster.api('POST', `/v1/uploads/${s.upload_id}/complete`, key, {});
    const seconds = (performance.now() - killedAt) / 1000;
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.data.asset.status === 'pending', false, 'verified by the retried complete');
    assert.equal(retried.body.data.asset.duration > 0, true);
    // One retry was enough: the server's start-up and one lease period, not a sweeper's interval.
    process.stderr.write(`  retried complete answered ${seconds.toFixed(1)} s after the kill (lease ${LEASE_SECONDS} s)\n`);
    const again = await cluster.api('POST', `/v1/uploads/${s.upload_id}/complete`, key, {});
    assert.equal(again.body.data.asset.id, retried.body.data.asset.id, 'a later complete answers the same');
  });
});

/**
 * The scale-out proof in short (`npm run scale-test` is the full one): 2 API processes and
 * 2 workers on PostgreSQL, Redis and Ceph RGW, uploads through both APIs alternately, one
 * API process (mid-complete) and one worker (mid-transcode) SIGKILLed and restarted and the
 * Redis prefix deleted, all at once; then every accepted upload completed, nothing counted
 * twice, nothing left behind (bench/scale/checks.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runScaleTest, scaleSummary } from '../bench/scale/run.js';

it('2 API processes + 2 workers, one of each killed mid-run and Redis emptied: every upload ends with one asset and one set of renditions, quota and bucket agree with the rows, no job left', async () => {
  // Killed early, so the restarts (slow on a loaded machine) overlap the rest of the run.
  const r = await runScaleTest({ uploads: 30, concurrency: 8, killAt: 0.25, settleMs: 120_000, quiet: true, log: () => undefined });
  const summary = scaleSummary(r);
  process.stdout.write(`${summary}\n`);
  assert.deepEqual(r.check.violations, [], summary);
  assert.deepEqual(r.stats.failed, [], summary);
  for (const checks of r.readiness) assert.deepEqual(checks, { database: 'ok', storage: 'ok', queue: 'ok' });
  const c = r.check.counts;
  assert.equal(c.uploadsAccepted, 30);
  assert.equal(c.uploadsCompleted, 30, summary);
  assert.equal(c.uploadsStranded, 0, summary);
  // Everything the kills and the flush caught in flight was taken over and finished.
  const t = r.takeover;
  for (const x of [t.verifiedAfterSeconds, t.transcodedAfterSeconds, t.jobsAfterSeconds]) assert.notEqual(x, null, summary);
  assert.ok(r.stats.failovers > 0, 'requests did meet the killed process and went to the other one');
  assert.equal(c.storedBytes, c.blobBytes);
  assert.deepEqual(c.jobs, { waiting: 0, active: 0, delayed: 0, failed: 0, outbox: 0 });
});

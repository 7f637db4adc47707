/**
 * The whole pipeline with the queue on BullMQ (INTAKE_REDIS_URL): a form upload and a
 * video complete reach ready through the outbox relay, /readyz checks Redis, /metrics
 * shows the queue; the test's keys are removed afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { after, before, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';
import { deleteRedisPrefix, REDIS_URL } from '../helpers/redis.js';

const prefix = `intake-test-${randomBytes(6).toString('hex')}`;
let t: TestIntake;
let redis: Redis;

before(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping();
  t = await startIntake({ INTAKE_REDIS_URL: REDIS_URL, INTAKE_REDIS_PREFIX: prefix });
});
after(async () => {
  await t.close();
  await deleteRedisPrefix(redis, prefix);
  redis.disconnect();
});

it('on BullMQ: a video and a form upload become ready; readiness and metrics include the queue', async () => {
  assert.equal(t.intake.queue.backend, 'bullmq');
  const { key } = await t.tenant();
  const { complete } = await uploadMedia(t, key, await videoClip(320, 240), 'r.mp4', 'video/mp4');
  assert.equal(complete.status, 200);
  const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['240p', 'original', 'poster']);

  const form = new FormData();
  form.append('file', new Blob([await png(40, 30)], { type: 'image/png' }), 'f.png');
  const res = await fetch(`${t.url}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  assert.equal(res.status, 202);
  const id = ((await res.json()) as any).data.id;
  await eventually(async () => (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data.status === 'completed', 15_000, 'the form upload');

  const ready = await t.api('GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.data.checks.queue, 'ok');
  const metrics = await (await fetch(`${t.url}/metrics`)).text();
  assert.match(metrics, /intake_queue_jobs\{queue="media",state="waiting"\} 0/);
  assert.match(metrics, /intake_job_duration_seconds_count\{name="asset.process",outcome="completed"\} [1-9]/);
  // An outbox row stays until its job has run (the image's renditions may still be on their way).
  await eventually(async () => (await t.intake.db.kysely.selectFrom('job_outbox').select('id').execute()).length === 0, 15_000, 'the outbox to drain');
});

it('with Redis unreachable, /readyz answers 503 naming the queue, promptly', async () => {
  const down = await startIntake({ INTAKE_REDIS_URL: 'redis://127.0.0.1:1', INTAKE_WORKERS: '0' });
  try {
    const started = Date.now();
    const res = await down.api('GET', '/readyz');
    assert.equal(res.status, 503);
    assert.equal(res.body.error!.code, 'unavailable');
    assert.equal(res.body.error!.details.checks.queue, 'unreachable');
    assert.equal(res.body.error!.details.checks.database, 'ok');
    assert.ok(Date.now() - started < 10_000, 'answered without waiting for Redis');
  } finally {
    await down.close();
  }
});

/**
 * The job-queue contract, written once and run on every backend: what a job's producer
 * and its handlers may rely on whichever queue runs underneath.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Store } from '../../src/db/repositories/index.js';
import { DeferJobError, PermanentJobError, type Handlers, type JobContext } from '../../src/jobs/catalogue.js';
import type { JobQueue, Workers } from '../../src/jobs/queue.js';
import { moduleEntry } from '../../src/lib/module-entry.js';
import { eventually } from '../helpers/intake.js';

export interface QueueHarness {
  store: Store;
  queue: JobQueue;
  /** What a worker in another process needs: database URL, Redis URL or "-", prefix. */
  childArgs: [string, string, string];
  leaseMs: number;
  /** Jobs, outbox rows or Redis keys the suite left behind. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

const FIXTURE = moduleEntry('./fixtures/dying-worker', import.meta.url);
const noop = async () => undefined;
const idle: Handlers = { 'upload.verify': noop, 'upload.import': noop, 'asset.process': noop, 'webhook.deliver': noop };
const ONE_EACH = { uploads: 1, imports: 1, media: 1, webhooks: 1 } as const;

export function queueContract(name: string, open: () => Promise<QueueHarness>): void {
  describe(`job queue contract: ${name}`, () => {
    let h: QueueHarness;
    let workers: Workers | null = null;
    const start = (handlers: Partial<Handlers>, concurrency: Record<'uploads' | 'imports' | 'media' | 'webhooks', number> = { ...ONE_EACH }) => {
      workers = h.queue.startWorkers({ handlers: { ...idle, ...handlers }, concurrency });
      return workers;
    };
    before(async () => {
      h = await open();
    });
    afterEach(async () => {
      await workers?.close();
      workers = null;
    });
    after(async () => {
      await h.close();
    });

    it('runs a job committed with its transaction, with its payload, once; a rolled-back one never', async () => {
      const seen: string[] = [];
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'upload.verify', payload: { uploadId: 'upl_committed' } }));
      await assert.rejects(
        h.store.transaction(async (r) => {
          await h.queue.enqueue(r, { name: 'upload.verify', payload: { uploadId: 'upl_rolledback' } });
          throw new Error('roll back');
        }),
      );
      start({ 'upload.verify': async (p) => void seen.push(p.uploadId) });
      await eventually(async () => seen.includes('upl_committed'), 10_000, 'the committed job');
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'upload.verify', payload: { uploadId: 'upl_marker' } }));
      await eventually(async () => seen.includes('upl_marker'), 10_000, 'a later job');
      assert.deepEqual(seen, ['upl_committed', 'upl_marker']);
    });

    it('enqueueing the same job twice while it waits runs it once', async () => {
      let runs = 0;
      for (let i = 0; i < 2; i++) await h.store.transaction((r) => h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_twice' } }));
      const seen: string[] = [];
      start({ 'asset.process': async (p) => void (p.assetId === 'med_twice' ? runs++ : seen.push(p.assetId)) });
      await eventually(async () => runs >= 1, 10_000, 'the job');
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_after' } }));
      await eventually(async () => seen.includes('med_after'), 10_000, 'a later job');
      assert.equal(runs, 1);
    });

    it('retries a failing job with growing waits until it succeeds, counting attempts', async () => {
      const attempts: Array<{ n: number; at: number }> = [];
      start({
        'asset.process': async (p, ctx: JobContext) => {
          if (p.assetId !== 'med_flaky') return;
          attempts.push({ n: ctx.attempt, at: Date.now() });
          if (ctx.attempt < 3) throw new Error('passing trouble');
        },
      });
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_flaky' } }));
      await eventually(async () => attempts.length >= 3, 15_000, 'three attempts');
      assert.deepEqual(attempts.map((a) => a.n), [1, 2, 3]);
      // retry base 10 ms in these tests: the second wait is about twice the first.
      assert.ok(attempts[2]!.at - attempts[1]!.at >= 15, 'the second retry waited longer than the base');
    });

    it('a deferred job frees its slot, runs again later and spends no attempt', async () => {
      const runs: Array<{ id: string; attempt: number }> = [];
      start({
        'webhook.deliver': async (p, ctx: JobContext) => {
          runs.push({ id: p.deliveryId, attempt: ctx.attempt });
          // Deferred three times (more than nothing, as often as a busy tenant may be), then done.
          if (p.deliveryId === 'msg_deferred' && runs.filter((r) => r.id === 'msg_deferred').length <= 3) throw new DeferJobError(20, 'busy');
        },
      });
      await h.store.transaction(async (r) => {
        await h.queue.enqueue(r, { name: 'webhook.deliver', payload: { deliveryId: 'msg_deferred' } });
        await h.queue.enqueue(r, { name: 'webhook.deliver', payload: { deliveryId: 'msg_other' } });
      });
      await eventually(async () => runs.filter((r) => r.id === 'msg_deferred').length === 4 && runs.some((r) => r.id === 'msg_other'), 15_000, 'both jobs');
      // One slot (concurrency 1): the other job ran while the deferred one waited.
      assert.ok(runs.findIndex((r) => r.id === 'msg_other') < runs.findLastIndex((r) => r.id === 'msg_deferred'));
      assert.deepEqual(runs.filter((r) => r.id === 'msg_deferred').map((r) => r.attempt), [1, 1, 1, 1]);
      await eventually(async () => {
        const c = (await h.queue.counts()).webhooks;
        return c.waiting + c.active + c.delayed + c.failed === 0;
      }, 10_000, 'the webhooks queue to empty');
    });

    it('a permanent failure is not retried; exhausted attempts end in the failed state', async () => {
      const runs: Record<string, number> = {};
      start({
        'asset.process': async (p) => {
          runs[p.assetId] = (runs[p.assetId] ?? 0) + 1;
          if (p.assetId === 'med_bad') throw new PermanentJobError('corrupt media');
          if (p.assetId === 'med_never') throw new Error('always fails');
        },
      });
      await h.store.transaction(async (r) => {
        await h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_bad' } });
        await h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_never' } });
      });
      await eventually(async () => runs.med_never === 5, 15_000, 'five attempts of the failing job');
      await eventually(async () => (await h.queue.counts()).media.failed === 2, 10_000, 'both jobs failed');
      assert.equal(runs.med_bad, 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(runs.med_never, 5, 'no sixth attempt');
    });

    it('keeps to each queue\'s concurrency', async () => {
      let media = 0;
      let mediaPeak = 0;
      let uploads = 0;
      let uploadsPeak = 0;
      const done: string[] = [];
      const hold = () => new Promise((r) => setTimeout(r, 150));
      start(
        {
          'asset.process': async (p) => {
            mediaPeak = Math.max(mediaPeak, ++media);
            await hold();
            media--;
            done.push(p.assetId);
          },
          'upload.verify': async (p) => {
            uploadsPeak = Math.max(uploadsPeak, ++uploads);
            await hold();
            uploads--;
            done.push(p.uploadId);
          },
        },
        { uploads: 3, imports: 1, media: 1, webhooks: 1 },
      );
      await h.store.transaction(async (r) => {
        for (let i = 0; i < 3; i++) {
          await h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: `med_c${i}` } });
          await h.queue.enqueue(r, { name: 'upload.verify', payload: { uploadId: `upl_c${i}` } });
        }
      });
      await eventually(async () => done.length === 6, 15_000, 'six jobs');
      assert.equal(mediaPeak, 1);
      assert.ok(uploadsPeak >= 2, `uploads ran ${uploadsPeak} at a time`);
    });

    it('close() waits for the running job and takes no new one (graceful drain)', async () => {
      let finished = false;
      let started = 0;
      const w = start({
        'webhook.deliver': async (p) => {
          started++;
          if (p.deliveryId !== 'msg_slow') return;
          await new Promise((r) => setTimeout(r, 400));
          finished = true;
        },
      });
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'webhook.deliver', payload: { deliveryId: 'msg_slow' } }));
      await eventually(async () => started === 1, 10_000, 'the job to start');
      await w.close();
      workers = null;
      assert.equal(finished, true, 'close resolved before the running job finished');
      await h.store.transaction((r) => h.queue.enqueue(r, { name: 'webhook.deliver', payload: { deliveryId: 'msg_late' } }));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(started, 1, 'a closed worker took a job');
      // Leave nothing waiting for the next test.
      const seen: string[] = [];
      start({ 'webhook.deliver': async (p) => void seen.push(p.deliveryId) });
      await eventually(async () => seen.includes('msg_late'), 10_000, 'the late job, with a new worker');
    });

    it('a job whose worker process was killed (SIGKILL) is taken again after its lease', async () => {
      const child = spawn(process.execPath, [...FIXTURE.execArgv, FIXTURE.file, ...h.childArgs, String(h.leaseMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await h.store.transaction((r) => h.queue.enqueue(r, { name: 'asset.process', payload: { assetId: 'med_orphan' } }));
        await eventually(async () => out.includes('running'), 20_000, 'the child to take the job');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const attempts: number[] = [];
      start({ 'asset.process': async (p, ctx) => void (p.assetId === 'med_orphan' && attempts.push(ctx.attempt)) });
      await eventually(async () => attempts.length === 1, 20_000, 'the orphaned job to run again');
      assert.equal(attempts[0], 2, 'the second run knows it is the second attempt');
    });

    it('counts jobs per queue and answers ping', async () => {
      await h.queue.ping();
      const counts = await h.queue.counts();
      assert.deepEqual(Object.keys(counts).sort(), ['imports', 'media', 'uploads', 'webhooks']);
      for (const c of Object.values(counts)) assert.equal(c.active, 0);
    });

    it('leaves nothing behind but the failed jobs it was told to keep', async () => {
      const left = await h.leftovers();
      assert.ok(left.every((x) => /med_bad|med_never|failed/.test(x)), JSON.stringify(left));
    });
  });
}

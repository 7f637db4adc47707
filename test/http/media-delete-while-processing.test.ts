/**
 * Deleting an asset while its rendition job runs (or waits behind another): the job finds
 * its original gone (ffmpeg, sharp or the download fail for want of it) and must end as
 * done, not as a failed job counted in intake_job_failures_total{final="true"} with
 * nothing logged. ffmpeg is held at the door by a stand-in so the delete lands mid-job.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import pino from 'pino';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { fakeTool, ffmpegFile, type FakeTool } from '../helpers/media.js';
import { assertNothingLeft, processFailures, uploadMedia } from '../helpers/processing.js';

let t: TestIntake;
let key: string;
let tool: FakeTool;
let flags: string;
const logged: Array<{ level: number; msg: string }> = [];
const PASS = 'exec ffmpeg "$@"';

before(async () => {
  flags = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-gate-'));
  tool = await fakeTool('ffmpeg', PASS);
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  t = await startIntake({ INTAKE_FFMPEG_PATH: tool.path }, { logger });
  key = (await t.tenant()).key;
});
after(async () => {
  await t.close();
  await tool.remove();
  await fs.rm(flags, { recursive: true, force: true });
});

it('deleting assets while their rendition jobs run or wait ends the jobs quietly: done, not failed, nothing logged', async () => {
  const started = path.join(flags, 'started');
  const go = path.join(flags, 'go');
  // Every ffmpeg waits at the door until the test lets it through.
  await tool.set([`touch ${started}`, `while [ ! -e ${go} ]; do sleep 0.05; done`, PASS].join('\n'));
  try {
    const failures = await processFailures(t);
    const clip = await ffmpegFile([
      '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=1', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
    ], 'mp4');
    const running = (await uploadMedia(t, key, clip, 'running.mp4', 'video/mp4')).complete.body.data;
    // Its job has probed the original and started ffmpeg, which waits.
    await eventually(async () => fs.access(started).then(() => true, () => false), 20_000, 'ffmpeg to start');
    // One media job at a time: this one waits in the queue behind it.
    const tone = await ffmpegFile(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'ipod'], 'm4a');
    const queued = (await uploadMedia(t, key, tone, 'queued.m4a', 'audio/mp4')).complete.body.data;
    for (const u of [running, queued]) assert.equal((await t.api('DELETE', `/v1/assets/${u.asset.id}`, { key })).status, 200);
    await fs.writeFile(go, '');
    await assertNothingLeft(t, 0);
    assert.deepEqual(await processFailures(t), failures, 'no failed or retried run counted');
    assert.deepEqual(logged.filter((w) => w.level >= 40), [], 'nothing logged at warn or error');
    const left = (await t.storedFiles()).filter((f) => [running, queued].some((u) => f.includes(u.asset.id) || f.includes(u.id)));
    assert.deepEqual(left, [], 'no original or rendition left in storage');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /^intake_job_duration_seconds_count\{name="asset.process",outcome="completed"\} 2$/m, 'both jobs completed');
  } finally {
    await fs.writeFile(go, '');
    await tool.set(PASS);
  }
});

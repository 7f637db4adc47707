/**
 * Posters of videos where "a quarter in" finds nothing: a one-frame clip (a quarter of its
 * 0.04 s is past its only frame) and MPEG program streams on which some ffmpeg builds write
 * nothing after a seek, exiting 0. The poster is then the first frame that decodes; a
 * video that gives none is bad media, failed at once instead of retried for minutes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { fakeTool, ffmpegFile, type FakeTool } from '../helpers/media.js';
import { assertNothingLeft, assetWhen, download, processFailures, uploadMedia } from '../helpers/processing.js';

const labels = (asset: any) => asset.sources.map((s: any) => s.label).sort();
const source = (asset: any, label: string) => asset.sources.find((s: any) => s.label === label);

/** A one-frame H.264 MP4, 64x48. */
const oneFrameMp4 = () => ffmpegFile(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'mp4');
/** A one-second MPEG-2 program stream (DVD VOB), 64x48. */
const shortVob = () => ffmpegFile(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25:duration=1', '-c:v', 'mpeg2video', '-f', 'vob'], 'vob');
/** A one-frame MPEG-2 program stream. */
const oneFramePs = () => ffmpegFile(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-frames:v', '1', '-c:v', 'mpeg2video', '-f', 'mpeg'], 'mpg');

/** Uploads `bytes`, waits for processing, and checks the video is ready with a 64x48 JPEG poster. */
async function readyWithPoster(t: TestIntake, key: string, bytes: Buffer, filename: string, type: string): Promise<void> {
  const { complete } = await uploadMedia(t, key, bytes, filename, type);
  assert.equal(complete.status, 200, JSON.stringify(complete.body));
  const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed'], 30_000);
  assert.equal(asset.status, 'ready', `${filename}: ${JSON.stringify(asset.error)}`);
  assert.deepEqual(labels(asset), ['48p', 'original', 'poster'], filename);
  const meta = await sharp(await download(source(asset, 'poster').url)).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 48], filename);
}

describe('with the real ffmpeg', () => {
  let t: TestIntake;
  let key: string;
  before(async () => {
    t = await startIntake();
    key = (await t.tenant()).key;
  });
  after(() => t.close());

  it('a one-frame MP4 gets its only frame as poster (the seek a quarter in lands past it), at once, with no retry', async () => {
    const failures = await processFailures(t);
    await readyWithPoster(t, key, await oneFrameMp4(), 'one.mp4', 'video/mp4');
    assert.deepEqual(await processFailures(t), failures, 'no failed or retried run');
    await assertNothingLeft(t);
  });

  it('a short MPEG-2 program stream (VOB) gets a poster', async () => {
    await readyWithPoster(t, key, await shortVob(), 'short.vob', 'video/mpeg');
    await assertNothingLeft(t);
  });
});

describe('with a stand-in ffmpeg', () => {
  let t: TestIntake;
  let key: string;
  let tool: FakeTool;
  const PASS = 'exec ffmpeg "$@"';
  before(async () => {
    tool = await fakeTool('ffmpeg', PASS);
    t = await startIntake({ INTAKE_FFMPEG_PATH: tool.path, INTAKE_JOB_RETRY_BASE_MS: '50' }, { logger: pino({ level: 'silent' }) });
    key = (await t.tenant()).key;
  });
  after(async () => {
    await t.close();
    await tool.remove();
  });

  it('when a seek into an MPEG program stream writes nothing (and exits 0), the poster is the first frame', async () => {
    // What the reported builds do with `-ss` (0 included) on such streams; every other run is ffmpeg's own.
    await tool.set(['seek=; mpeg=; prev=', 'for a in "$@"; do', '  [ "$prev" = -ss ] && seek=1', '  [ "$prev" = -f ] && [ "$a" = mpeg ] && mpeg=1', '  prev=$a', 'done', '[ -n "$seek" ] && [ -n "$mpeg" ] && exit 0', PASS].join('\n'));
    try {
      const failures = await processFailures(t);
      await readyWithPoster(t, key, await shortVob(), 'short.vob', 'video/mpeg');
      await readyWithPoster(t, key, await oneFramePs(), 'one.mpg', 'video/mpeg');
      assert.deepEqual(await processFailures(t), failures, 'no failed or retried run');
      await assertNothingLeft(t);
    } finally {
      await tool.set(PASS);
    }
  });

  it('a poster ffmpeg never writes (exit 0, no file) is bad media: the asset fails at once, not after retries', async () => {
    await tool.set(['case " $* " in *" image2 "*) exit 0;; esac', PASS].join('\n'));
    try {
      const failures = await processFailures(t);
      const { complete } = await uploadMedia(t, key, await oneFrameMp4(), 'one.mp4', 'video/mp4');
      assert.equal(complete.status, 200, JSON.stringify(complete.body));
      const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed'], 30_000);
      assert.equal(asset.status, 'failed');
      assert.equal(asset.error.code, 'processing_failed');
      assert.match(asset.error.message, /poster/);
      assert.ok(!asset.error.message.includes(t.dataDir), 'the error names no server path');
      assert.deepEqual(labels(asset), ['original']);
      const counted = await eventually(async () => {
        const f = await processFailures(t);
        return f.final > failures.final ? f : null;
      }, 10_000, 'the failure to be counted');
      assert.deepEqual(counted, { final: failures.final + 1, retried: failures.retried }, 'one final failure, no retry');
      assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(asset.id)), [], 'no rendition stored');
      // The failed job is kept (until the purge), as every failed job is; nothing else is left.
      await assertNothingLeft(t, 1);
    } finally {
      await tool.set(PASS);
    }
  });
});

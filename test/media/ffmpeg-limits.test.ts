/**
 * The limits every transcode runs under, on a real ffmpeg: a deadline scaled by the source's
 * duration (a run over it is killed and leaves no process behind), and `nice -n 19`, so a
 * transcode does not starve the API. The executable is the one the caller passes in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { transcodeTimeoutMs } from '../../src/assets/process-asset.js';
import { MediaError, runFfmpeg } from '../../src/media/ffmpeg.js';
import { eventually } from '../helpers/intake.js';
import { videoClip } from '../helpers/processing.js';

let dir: string;
let input: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-ffmpeg-limits-'));
  input = path.join(dir, 'clip.mp4');
  await fs.writeFile(input, await videoClip(160, 120, 20, false));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

/** Processes whose command line names this test's clip, with their nice values. */
function ffmpegsOnClip(): { pid: number; nice: number }[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-eo', 'pid=,ni=,args='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.includes(`file:${input}`) && /\bffmpeg\b/.test(l))
    .map((l) => {
      const [pid, nice] = l.trim().split(/\s+/);
      return { pid: Number(pid), nice: Number(nice) };
    });
}

describe('ffmpeg limits', () => {
  it('the deadline grows with the source: a minute plus 20 s per second of media', () => {
    assert.equal(transcodeTimeoutMs(0), 60_000);
    assert.equal(transcodeTimeoutMs(30), 60_000 + 600_000);
    assert.ok(transcodeTimeoutMs(3600) > transcodeTimeoutMs(30));
    assert.equal(transcodeTimeoutMs(null), transcodeTimeoutMs(60), 'unknown duration counts as a minute');
  });

  it('runs ffmpeg at nice 19, and kills a run that outlives its deadline (an outage to retry, not bad media), leaving no process', async () => {
    const started = Date.now();
    // -re reads the 20 s clip at its own pace: a run that cannot finish within 2 s, whatever the machine's load.
    const run = runFfmpeg('ffmpeg', { input, demuxer: 'mov', inputArgs: ['-re'], outputArgs: ['-f', 'null', '-'], duration: 20, timeoutMs: 2_000 });
    const settled = run.then(() => null, (err: unknown) => err);
    const running = await eventually(async () => {
      const found = ffmpegsOnClip();
      return found.length > 0 ? found : null;
    }, 5_000, 'ffmpeg to be running');
    for (const p of running) assert.equal(p.nice, 19, `ffmpeg ${p.pid} runs at nice ${p.nice}`);

    const err = await settled;
    const took = Date.now() - started;
    assert.ok(err instanceof Error, 'the run over its deadline rejected');
    assert.ok(!(err instanceof MediaError), 'a deadline is not a verdict on the media');
    assert.match(err.message, /ran over its 2 s limit/);
    assert.ok(took >= 1_900 && took < 10_000, `stopped after ${took} ms`);
    await eventually(async () => ffmpegsOnClip().length === 0, 5_000, 'no ffmpeg left on the clip');
  });

  it('the same run with time to spare completes', async () => {
    await runFfmpeg('ffmpeg', { input, demuxer: 'mov', outputArgs: ['-t', '1', '-f', 'null', '-'], duration: 1, timeoutMs: 30_000 });
    assert.deepEqual(ffmpegsOnClip(), []);
  });

  it('runs the executable it is given; one that is not there is an outage to retry, not bad media', async () => {
    const missing = path.join(dir, 'no-such-ffmpeg');
    const err = await runFfmpeg(missing, { input, demuxer: 'mov', outputArgs: ['-t', '1', '-f', 'null', '-'], duration: 1, timeoutMs: 30_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'the run rejected');
    assert.ok(!(err instanceof MediaError), `a missing executable is not a verdict on the media: ${String(err)}`);
    assert.match(err.message, /could not start/);

    // A stand-in that records its arguments: the one given runs, under nice, with the input.
    const seen = path.join(dir, 'args.txt');
    const niceness = path.join(dir, 'nice.txt');
    const fake = path.join(dir, 'fake-ffmpeg');
    await fs.writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${seen}'\nnice > '${niceness}'\n`, { mode: 0o755 });
    await runFfmpeg(fake, { input, demuxer: 'mov', outputArgs: ['-f', 'null', '-'], duration: 1, timeoutMs: 30_000 });
    const args = (await fs.readFile(seen, 'utf8')).trim().split('\n');
    assert.deepEqual(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2), ['-i', `file:${input}`]);
    assert.ok(args.includes('-protocol_whitelist') && args[args.indexOf('-protocol_whitelist') + 1] === 'file', args.join(' '));
    assert.equal((await fs.readFile(niceness, 'utf8')).trim(), '19');
  });
});

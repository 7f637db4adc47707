/**
 * MPEG streams that sniff as `video/mpeg` but are not program streams: an MPEG-1
 * elementary stream (`.m1v`/`.mpv`, ffmpeg's `mpegvideo` demuxer) and a transport stream.
 * Each is verified, read by the demuxer ffprobe picked from the whitelist, and transcoded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegFile } from '../helpers/media.js';
import { assertNothingLeft, assetWhen, download, probeBytes, uploadMedia } from '../helpers/processing.js';

const labels = (asset: any) => asset.sources.map((s: any) => s.label).sort();
const source = (asset: any, label: string) => asset.sources.find((s: any) => s.label === label);
const pattern = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=1'];

let t: TestIntake;
let key: string;
before(async () => {
  t = await startIntake();
  key = (await t.tenant()).key;
});
after(() => t.close());

describe('MPEG streams sniffed as video/mpeg', () => {
  it('an MPEG-1 elementary stream (.m1v) is a video: probed (duration from its frames), transcoded, with a poster', async () => {
    const bytes = await ffmpegFile([...pattern, '-c:v', 'mpeg1video', '-f', 'mpeg1video'], 'm1v');
    const { complete } = await uploadMedia(t, key, bytes, 'clip.m1v', 'video/mpeg');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const a = complete.body.data.asset;
    assert.deepEqual([a.kind, a.mimetype, a.width, a.height, a.fps], ['video', 'video/mpeg', 160, 120, 25]);
    // The header's bit rate says 0.0007 s; 25 frames at 25 fps say 1 s.
    assert.ok(Math.abs(a.duration - 1) < 0.1, `duration ${a.duration}`);
    assert.ok(a.bitrate > 0 && a.bitrate < 1e6, `bitrate ${a.bitrate}`);
    const asset = await assetWhen(t, key, a.id, ['ready', 'failed'], 30_000);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.deepEqual(labels(asset), ['120p', 'original', 'poster']);
    const probed = await probeBytes(await download(source(asset, '120p').url));
    assert.equal(probed.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
    assert.ok(Math.abs(probed.duration - 1) < 0.2, `rendition duration ${probed.duration}`);
    await assertNothingLeft(t);
  });

  it('an MPEG transport stream declared video/mpeg is transcoded with the transport-stream demuxer', async () => {
    const bytes = await ffmpegFile([...pattern, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mpegts'], 'ts');
    const { complete } = await uploadMedia(t, key, bytes, 'clip.ts', 'video/mpeg');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed'], 30_000);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.deepEqual(labels(asset), ['120p', 'original', 'poster']);
    await assertNothingLeft(t);
  });
});

/** Pure rules of the pipeline: the rendition ladder, webhook signatures, private addresses, retry waits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, JOBS } from '../../src/jobs/catalogue.js';
import { ladderFor, videoLadderArgs } from '../../src/media/renditions.js';
import { demuxerFor } from '../../src/media/ffmpeg.js';
import { signWebhook } from '../../src/webhooks/signature.js';
import { isPrivateAddress } from '../../src/webhooks/url-guard.js';

const LADDER = [1080, 720, 480, 360];

describe('rendition ladder', () => {
  it('never goes above the source, and a source below every rung gets one at its own even height', () => {
    assert.deepEqual(ladderFor(2160, LADDER), [1080, 720, 480, 360]);
    assert.deepEqual(ladderFor(1080, LADDER), [1080, 720, 480, 360]);
    assert.deepEqual(ladderFor(1079, LADDER), [720, 480, 360]);
    assert.deepEqual(ladderFor(360, LADDER), [360]);
    assert.deepEqual(ladderFor(240, LADDER), [240]);
    assert.deepEqual(ladderFor(239, LADDER), [238]);
    assert.deepEqual(ladderFor(800, [1440, 540]), [540]);
  });

  it('encodes every rung from one decode, the audio once for all, each MP4 with faststart and no source metadata', () => {
    const rungs = [{ label: '720p', height: 720, file: '/w/720p.mp4' }, { label: '360p', height: 360, file: '/w/360p.mp4' }];
    const args = videoLadderArgs(rungs, true).join(' ');
    assert.match(args, /split=2\[s0\]\[s1\]/);
    assert.equal(args.match(/\+faststart/g)?.length, 2);
    assert.equal(args.match(/-map_metadata -1/g)?.length, 1, 'one output, the tee muxer’s');
    assert.equal(args.match(/-c:a aac/g)?.length, 1);
    assert.match(args, /select=\\'v:0,a\\':f=mp4:movflags=\+faststart\]\/w\/720p\.mp4\|\[select=\\'v:1,a\\'/);
    assert.doesNotMatch(args, /force_key_frames|f=hls/, 'no HLS asked, no keyframe grid');
    const hls = videoLadderArgs(rungs, true, '/w/hls').join(' ');
    assert.equal(hls.match(/-c:a aac/g)?.length, 1, 'HLS reuses the encodes: the audio still once');
    assert.equal(hls.match(/f=hls/g)?.length, 3, 'a playlist per rung and the audio group');
    assert.match(hls, /-force_key_frames expr:gte\(t,n_forced\*4\)/);
  });

  it('picks a fixed demuxer from the sniffed type, and none for an unknown one', () => {
    assert.equal(demuxerFor('video/mp4'), 'mov');
    assert.equal(demuxerFor('video/webm'), 'matroska');
    assert.equal(demuxerFor('application/x-mpegurl'), null);
  });

  it("takes the demuxer ffprobe picked when the type's own is not among its names, and only from the whitelist", () => {
    // ffprobe's format_name for an MP4 lists the mov demuxer's names: the fixed one stands.
    assert.equal(demuxerFor('video/mp4', ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2']), 'mov');
    assert.equal(demuxerFor('video/webm', ['matroska', 'webm']), 'matroska');
    // video/mpeg: a program stream, an elementary stream (.m1v) or a transport stream.
    assert.equal(demuxerFor('video/mpeg', ['mpeg']), 'mpeg');
    assert.equal(demuxerFor('video/mpeg', ['mpegvideo']), 'mpegvideo');
    assert.equal(demuxerFor('video/mpeg', ['mpegts']), 'mpegts');
    // Never one outside the list, whatever ffprobe said: no playlists, concat lists or image sequences.
    for (const unsafe of ['hls', 'concat', 'image2', 'tee', 'data']) assert.equal(demuxerFor('video/mpeg', [unsafe]), null, unsafe);
    assert.equal(demuxerFor('application/x-mpegurl', ['hls']), null);
  });
});

describe('webhook signature', () => {
  it('matches the Standard Webhooks reference vector', () => {
    const sig = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('private addresses', () => {
  it('loopback, private, link-local, shared and mapped forms are private; public ones are not', () => {
    for (const a of ['127.0.0.1', '10.0.0.5', '172.16.3.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::']) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1']) assert.equal(isPrivateAddress(a), false, a);
  });
});

describe('retry waits', () => {
  it('double from the base and stop at the cap; webhooks span about a day', () => {
    const policy = JOBS['webhook.deliver'].retry;
    assert.deepEqual([1, 2, 3].map((n) => backoffMs(policy, n, null)), [30_000, 60_000, 120_000]);
    assert.equal(backoffMs(policy, 20, null), policy.maxMs);
    let total = 0;
    for (let n = 1; n < policy.attempts; n++) total += backoffMs(policy, n, null);
    assert.ok(total > 20 * 3600_000 && total < 30 * 3600_000, `${total / 3600_000} h`);
    assert.equal(backoffMs(policy, 3, 10), 40, 'a configured base replaces the policy base');
  });
});

/**
 * Sniffing names what the bytes are, not what a magic-number table guesses: an animated
 * PNG is a PNG, an MP4 with Apple's `M4V ` brand is an MP4, and text whose first bytes
 * happen to spell a short magic number (`BMW,` → BMP, `MZ` → EXE, `ID3` → MP3,
 * `FORM` → AIFF) is still text. And an audio kind is audio: a video declared audio/mp4
 * (which would escape the video size limit) is refused, while cover art is fine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { CLIP, apng, ffmpegFile, ffmpegMedia, png } from '../helpers/media.js';
import { assertRefusedAndGone, sendAndComplete } from './verify-steps.js';

let t: TestIntake;

before(async () => {
  t = await startIntake();
});
after(() => t.close());

const testsrc = ['-f', 'lavfi', '-i', `testsrc=size=${CLIP.width}x${CLIP.height}:rate=${CLIP.fps}:duration=1`];
const sine = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1'];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

describe('sub-types are accepted as their family', () => {
  it('an animated PNG (file-type: image/apng) declared image/png completes as image/png', async () => {
    const { key } = await t.tenant();
    const bytes = await apng(64, 48);
    assert.equal(bytes.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n');
    assert.ok(bytes.includes(Buffer.from('acTL')), 'the file is animated');
    const { done } = await sendAndComplete(t, key, bytes, { filename: 'spinner.png', content_type: 'image/png' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const a = done.body.data.asset;
    assert.deepEqual([a.status, a.kind, a.mimetype, a.width, a.height], ['ready', 'image', 'image/png', 64, 48]);
  });

  it('an MP4 with the `M4V ` brand (file-type: video/x-m4v) declared video/mp4 is a video/mp4', async () => {
    const { key } = await t.tenant();
    const bytes = await ffmpegFile([...testsrc, ...x264, '-f', 'ipod'], 'm4v');
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'M4V ', 'the major brand');
    const { done } = await sendAndComplete(t, key, bytes, { filename: 'clip.m4v', content_type: 'video/mp4' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const a = done.body.data.asset;
    assert.deepEqual([a.kind, a.mimetype, a.width, a.height, a.fps], ['video', 'video/mp4', CLIP.width, CLIP.height, CLIP.fps]);
  });
});

describe('declared text is checked as text before short magic numbers', () => {
  const cases: Array<[type: string, filename: string, text: string]> = [
    ['text/csv', 'cars.csv', 'BMW,320d,2019\nAudi,A4,2020\n'], // BM → BMP
    ['text/csv', 'codes.csv', 'MZ,Mozambique\nMW,Malawi\n'], // MZ → Windows executable
    ['text/plain', 'tags.txt', 'ID3 tags are found at the start of MP3 files.\n'], // ID3 → MP3
    ['text/csv', 'forms.csv', 'FORM,field,value\nsignup,email,a@b.c\n'], // FORM → AIFF
    ['text/markdown', 'note.md', '%PDF is how a PDF starts; this is a note about it.\n'], // %PDF → PDF
    ['text/plain', 'caption.txt', 'WEBVTT is a caption format; this file only mentions it.\n'], // WEBVTT → text/vtt
  ];
  for (const [type, filename, text] of cases) {
    it(`${JSON.stringify(text.slice(0, 6))}… declared ${type} completes as ${type}`, async () => {
      const { key } = await t.tenant();
      const { done } = await sendAndComplete(t, key, Buffer.from(text), { filename, content_type: type });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual([done.body.data.asset.kind, done.body.data.asset.mimetype], ['document', type]);
    });
  }

  it('binary bytes declared as text are still refused: a PNG declared text/plain is 415 kind_mismatch, nothing kept', async () => {
    const { key } = await t.tenant();
    const { session, done } = await sendAndComplete(t, key, await png(), { filename: 'x.txt', content_type: 'text/plain' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'kind_mismatch');
  });
});

describe('an audio kind holds no video stream', () => {
  it('an MP4 with H.264 video declared audio/mp4 is 415 kind_mismatch and leaves nothing (it would escape the video limit)', async () => {
    const { key } = await t.tenant({ limits: { video: 1000 } });
    const clip = await ffmpegMedia('mp4');
    const { session, done } = await sendAndComplete(t, key, clip, { filename: 'song.m4a', content_type: 'audio/mp4' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'kind_mismatch');
  });

  it('a video-only MP4 declared audio/mp4 is refused too (no audio stream)', async () => {
    const { key } = await t.tenant();
    const clip = await ffmpegFile([...testsrc, ...x264, '-f', 'mp4'], 'mp4');
    const { session, done } = await sendAndComplete(t, key, clip, { filename: 'song.m4a', content_type: 'audio/mp4' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type');
  });

  for (const [ext, type, codec, muxer] of [
    ['mp3', 'audio/mpeg', 'libmp3lame', 'mp3'],
    ['m4a', 'audio/mp4', 'aac', 'ipod'],
  ] as const) {
    it(`an ${ext} with cover art (an attached picture) declared ${type} is still audio`, async () => {
      const { key } = await t.tenant();
      const bytes = await ffmpegFile(
        [...sine, '-i', 'cover.png', '-map', '0', '-map', '1', '-c:a', codec, '-c:v', 'mjpeg', '-disposition:v', 'attached_pic', '-f', muxer],
        ext,
        { 'cover.png': await png(64, 64) },
      );
      const { done } = await sendAndComplete(t, key, bytes, { filename: `song.${ext}`, content_type: type });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const a = done.body.data.asset;
      assert.deepEqual([a.kind, a.width, a.height, a.fps], ['audio', null, null, null], JSON.stringify(a));
      assert.ok(a.duration > 0.5 && a.duration < 1.5, `duration ${a.duration}`);
    });
  }
});

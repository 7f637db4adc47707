/**
 * Audio alone in a container named as video: browsers send `video/webm` for every `.webm`
 * (a voice memo included), and file-type names an untyped WebM, MP4 or Matroska by its
 * container. Such a file is an audio asset (kind, mimetype, AAC rendition), within the
 * audio size limit; it used to be refused as "could not be decoded as video".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { ffmpegEncoders, ffmpegFile } from '../helpers/media.js';
import { assertNothingLeft, assetWhen, download, probeBytes, untypedUpload, uploadMedia } from '../helpers/processing.js';
import { assertError, createSession, put } from './error-helpers.js';

const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1'];

let t: TestIntake;
let key: string;
before(async () => {
  t = await startIntake();
  key = (await t.tenant()).key;
});
after(() => t.close());

/** The asset once processed: a ready audio asset of `mimetype` with its AAC rendition. */
async function readyAudio(assetId: string, mimetype: string): Promise<void> {
  const asset = await assetWhen(t, key, assetId, ['ready', 'failed'], 30_000);
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  assert.deepEqual([asset.kind, asset.mimetype, asset.width, asset.height, asset.fps], ['audio', mimetype, null, null, null]);
  assert.ok(Math.abs(asset.duration - 1) < 0.1, `duration ${asset.duration}`);
  assert.deepEqual(asset.sources.map((s: any) => s.label).sort(), ['audio', 'original']);
  const rendition = asset.sources.find((s: any) => s.label === 'audio');
  assert.deepEqual((await probeBytes(await download(rendition.url))).streams.map((s) => s.codec_name), ['aac']);
}

describe('audio alone in a video container is an audio asset', () => {
  it('an Opus-only WebM declared video/webm (what browsers send for .webm) becomes audio/webm', async (ctx) => {
    if (!(await ffmpegEncoders()).has('libopus')) return ctx.skip('this ffmpeg has no libopus encoder');
    const { complete } = await uploadMedia(t, key, await ffmpegFile([...tone, '-c:a', 'libopus'], 'webm'), 'voice.webm', 'video/webm');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assert.deepEqual([complete.body.data.kind, complete.body.data.asset.kind, complete.body.data.asset.mimetype], ['audio', 'audio', 'audio/webm']);
    await readyAudio(complete.body.data.asset.id, 'audio/webm');
    assert.equal((await t.api('GET', `/v1/uploads/${complete.body.data.id}`, { key })).body.data.kind, 'audio');
    await assertNothingLeft(t);
  });

  for (const [name, args, mimetype, encoder] of [
    ['a Vorbis-only WebM', ['-c:a', 'libvorbis', '-f', 'webm'], 'audio/webm', 'libvorbis'],
    ['an AAC-only MP4', ['-c:a', 'aac', '-f', 'mp4'], 'audio/mp4', 'aac'],
    ['an Opus-only Matroska file', ['-c:a', 'libopus', '-f', 'matroska'], 'audio/x-matroska', 'libopus'],
  ] as const) {
    it(`${name} sent untyped becomes ${mimetype}`, async (ctx) => {
      if (!(await ffmpegEncoders()).has(encoder)) return ctx.skip(`this ffmpeg has no ${encoder} encoder`);
      const { upload, asset } = await untypedUpload(t, key, await ffmpegFile([...tone, ...args], 'bin'), 'recording');
      assert.notEqual(upload.status, 'failed', JSON.stringify(upload.error));
      assert.equal(asset.kind, 'audio');
      await readyAudio(asset.id, mimetype);
      assert.equal((await t.api('GET', `/v1/uploads/${upload.id}`, { key })).body.data.kind, 'audio');
      await assertNothingLeft(t);
    });
  }

  it('an audio-only WebM declared video/webm meets the audio size limit, not the video one', async (ctx) => {
    if (!(await ffmpegEncoders()).has('libopus')) return ctx.skip('this ffmpeg has no libopus encoder');
    const small = await t.tenant({ limits: { audio: 1000 } });
    const bytes = await ffmpegFile([...tone, '-c:a', 'libopus'], 'webm');
    const s = await createSession(t, small.key, { filename: 'voice.webm', content_type: 'video/webm', file_size: bytes.length });
    assert.equal((await put(s.upload_url, bytes, 'video/webm')).status, 200);
    const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: small.key }), 413, 'file_too_large');
    assert.equal(res.body.error!.details.max_size, 1000);
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key: small.key })).status, 404);
    assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)), 'the refused bytes are gone');
    await assertNothingLeft(t);
  });
});

/**
 * A peer's client, unchanged: tus-js-client (Node) uploads to Intake's /tus/ endpoint,
 * including an upload stopped after its first chunk and resumed later from its URL, and
 * ends with a ready asset holding the file's SHA-256.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';

/** A JPEG of noise: a few hundred KB that no encoder shrinks, so it takes several chunks. */
async function noiseJpeg(side = 400): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

function send(file: Buffer, options: tus.UploadOptions): { upload: tus.Upload; done: Promise<void> } {
  let upload!: tus.Upload;
  const done = new Promise<void>((resolve, reject) => {
    upload = new tus.Upload(file, { ...options, onSuccess: () => resolve(), onError: reject, retryDelays: [0, 200, 500] });
  });
  upload.start();
  return { upload, done };
}

describe('tus-js-client against /tus/', () => {
  let intake: TestIntake;
  let key: string;
  before(async () => {
    intake = await startIntake();
    ({ key } = await intake.tenant());
  });
  after(async () => intake?.close());

  it('uploads in one PATCH; the asset is ready with the file\'s SHA-256', async () => {
    const file = await noiseJpeg(300);
    const { upload, done } = send(file, {
      endpoint: `${intake.url}/tus/`,
      headers: { Authorization: `Bearer ${key}` },
      metadata: { filename: 'noise.jpg', filetype: 'image/jpeg', folder: 'tus', title: 'Noise' },
    });
    await done;
    const id = upload.url!.split('/').pop()!;
    const got = await intake.api('GET', `/v1/uploads/${id}`, { key });
    assert.equal(got.body.data.status, 'completed');
    const asset = await intake.api('GET', `/v1/assets/${got.body.data.asset_id}`, { key });
    assert.equal(asset.body.data.status, 'ready');
    assert.equal(asset.body.data.sha256, sha256(file));
    assert.equal(asset.body.data.filesize, file.length);
    assert.equal(asset.body.data.folder, 'tus');
    assert.equal(asset.body.data.title, 'Noise');
  });

  it('stops after the first chunk, then a new client resumes from the stored URL and finishes', async () => {
    const file = await noiseJpeg(400);
    const chunkSize = 32 * 1024;
    assert.ok(file.length > 3 * chunkSize, `${file.length} bytes make several chunks`);
    const options: tus.UploadOptions = {
      endpoint: `${intake.url}/tus/`,
      headers: { Authorization: `Bearer ${key}` },
      chunkSize,
      metadata: { filename: 'resumed.jpg', filetype: 'image/jpeg' },
    };
    let first!: tus.Upload;
    const stopped = new Promise<void>((resolve, reject) => {
      first = new tus.Upload(file, {
        ...options,
        onError: reject,
        onChunkComplete: () => {
          void first.abort().then(resolve, reject);
        },
      });
      first.start();
    });
    await stopped;
    const url = first.url!;
    const head = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${key}` } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), String(chunkSize));
    assert.equal(head.headers.get('upload-length'), String(file.length));

    const offsets: number[] = [];
    const { done } = send(file, { ...options, uploadUrl: url, onChunkComplete: (_c, sent) => void offsets.push(sent) });
    await done;
    assert.ok(offsets[0]! > chunkSize, 'the second client started after the first chunk, not at 0');
    const id = url.split('/').pop()!;
    const got = await eventually(async () => {
      const r = await intake.api('GET', `/v1/uploads/${id}`, { key });
      return r.body.data.status === 'completed' && r;
    });
    const asset = await intake.api('GET', `/v1/assets/${got.body.data.asset_id}`, { key });
    assert.equal(asset.body.data.status, 'ready');
    assert.equal(asset.body.data.sha256, sha256(file));
  });
});

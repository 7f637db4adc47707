/**
 * Form uploads typed by their bytes: a file part sent as application/octet-stream (what
 * `curl -F file=@clip.mp4` sends) takes the type its first bytes show, then meets the
 * allowed list and the kind limits like any other; bytes that contradict an explicit type
 * are refused before anything is stored.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { eventually, useIntake } from '../helpers/intake.js';
import { ffmpegMedia, png } from '../helpers/media.js';
import { assetWhen } from '../helpers/processing.js';
import { refused } from './error-helpers.js';

const run = promisify(execFile);

const t = useIntake({ INTAKE_MAX_VIDEO_MB: '1' });
let clip: Buffer;
let image: Buffer;

before(async () => {
  clip = await ffmpegMedia('mp4');
  image = await png(20, 10);
});

function form(bytes: Buffer | Uint8Array, type: string, filename: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([bytes], { type }), filename);
  return f;
}

const send = (body: FormData) => t.api('POST', '/v1/uploads', { key: t.key, body });

/** The asset of a form upload once verification has ended (ready, processing or failed). */
async function verifiedAsset(id: string): Promise<any> {
  return eventually(async () => {
    const u = (await t.api('GET', `/v1/uploads/${id}`, { key: t.key })).body.data;
    const a = (await t.api('GET', `/v1/assets/${u.asset_id}`, { key: t.key })).body.data;
    return a && a.status !== 'pending' ? a : null;
  }, 15_000, 'form upload verified');
}

describe('untyped form files', () => {
  it('`curl -F file=@clip.mp4` (no type given) is 202 and becomes a video asset', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-curl-'));
    try {
      await fs.writeFile(path.join(dir, 'clip.mp4'), clip);
      const { stdout } = await run('curl', ['-s', '-w', '\\n%{http_code}', '-F', 'file=@clip.mp4', `${t.url}/v1/uploads`, '-H', `Authorization: Bearer ${t.key}`], { cwd: dir });
      const [body, code] = stdout.split('\n');
      assert.equal(code, '202', stdout);
      const accepted = JSON.parse(body!);
      assert.equal(accepted.data.content_type, 'video/mp4');
      assert.equal(accepted.data.kind, 'video');
      const asset = await verifiedAsset(accepted.data.id);
      assert.equal(asset.kind, 'video');
      assert.equal(asset.mimetype, 'video/mp4');
      assert.equal(asset.width, 160);
      // Once processed: a ready video with its rendition and poster, as after a JSON upload.
      const ready = await assetWhen(t, t.key, asset.id, ['ready', 'failed']);
      assert.equal(ready.status, 'ready', JSON.stringify(ready.error));
      assert.deepEqual(ready.sources.map((s: any) => s.label).sort(), ['120p', 'original', 'poster']);
      assert.equal((await t.api('GET', `/v1/uploads/${accepted.data.id}`, { key: t.key })).body.data.status, 'completed');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('an untyped PNG becomes an image/png asset', async () => {
    const res = await send(form(image, 'application/octet-stream', 'blob'));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.data.content_type, 'image/png');
    const asset = await verifiedAsset(res.body.data.id);
    assert.equal(asset.status, 'ready');
    assert.equal(asset.mimetype, 'image/png');
  });

  it('untyped bytes of a type not on the allowed list are 415 and leave nothing', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0), Buffer.from('PE\0\0')]);
    await refused(t, t.key, () => send(form(exe, 'application/octet-stream', 'setup.exe')), 415, 'unsupported_media_type');
    const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
    const res = await refused(t, t.key, () => send(form(Buffer.concat([Buffer.from([0, 1, 2, 3]), html]), 'application/octet-stream', 'x.bin')), 415, 'unsupported_media_type', 'file');
    assert.equal(res.body.error!.details.reason, 'unrecognised');
  });

  it('an untyped video over the video limit is 413, found from its bytes', async () => {
    const big = Buffer.concat([clip, Buffer.alloc(1024 * 1024 + 10, 0)]);
    await refused(t, t.key, () => send(form(big, 'application/octet-stream', 'big.mp4')), 413, 'file_too_large');
  });

  it('an empty untyped file is 400', async () => {
    await refused(t, t.key, () => send(form(new Uint8Array(0), 'application/octet-stream', 'e.bin')), 400, 'invalid_request', 'file');
  });
});

describe('explicitly typed form files', () => {
  it('bytes that are not the declared kind are 415 kind_mismatch, before anything is stored', async () => {
    const res = await refused(t, t.key, () => send(form(image, 'video/mp4', 'fake.mp4')), 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'kind_mismatch');
    const res2 = await refused(t, t.key, () => send(form(clip, 'image/png', 'fake.png')), 415, 'unsupported_media_type');
    assert.equal(res2.body.error!.details.reason, 'kind_mismatch');
  });

  it('bytes that are nothing known, declared as an image, are 415 unrecognised', async () => {
    const res = await refused(t, t.key, () => send(form(Buffer.from('just some text'), 'image/png', 'x.png')), 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'unrecognised');
  });
});

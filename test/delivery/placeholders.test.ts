/**
 * Placeholders: every image and video asset gets a ThumbHash and a dominant colour, shown
 * in the asset view; a video's come in its `asset.ready` webhook. The hash decodes back to
 * an image of the source's aspect, and the colour is the source's.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';

let t: TestIntake;
let key: string;
let hookServer: http.Server;
const received: any[] = [];
before(async () => {
  t = await startIntake({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  key = (await t.tenant()).key;
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  const hook = await t.api('POST', '/v1/webhooks', { key, json: { url, events: ['asset.ready'] } });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
});
after(async () => {
  await t.close();
  hookServer.close();
});

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('placeholders', () => {
  it('an image gets a ThumbHash of its aspect and its dominant colour, once its renditions are made', async () => {
    const red = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#d02020' } }).jpeg().toBuffer();
    const { complete } = await uploadMedia(t, key, red, 'red.jpg', 'image/jpeg');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const id = complete.body.data.asset.id;
    const asset = await eventually(async () => {
      const a = (await t.api('GET', `/v1/assets/${id}`, { key })).body.data;
      return a.placeholder ? a : null;
    }, 30_000, 'the placeholder');
    assert.match(asset.placeholder.color, /^#[0-9a-f]{6}$/);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(asset.placeholder.color.slice(i, i + 2), 16));
    assert.ok(r! > 180 && g! < 70 && b! < 70, `dominant colour ${asset.placeholder.color} is red`);
    const hash = bytes(asset.placeholder.thumbhash);
    assert.ok(Math.abs(thumbHashToApproximateAspectRatio(hash) - 2) < 0.3, 'the hash keeps the 2:1 aspect');
    assert.ok(thumbHashToAverageRGBA(hash).r > 0.6, 'the hash averages red');
  });

  it('a video gets its poster’s placeholder, in the view and in the asset.ready webhook', async () => {
    const { complete } = await uploadMedia(t, key, await videoClip(320, 240), 'clip.mp4', 'video/mp4');
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
    assert.match(asset.placeholder.thumbhash, /^[A-Za-z0-9+/]+=*$/);
    assert.ok(Math.abs(thumbHashToApproximateAspectRatio(bytes(asset.placeholder.thumbhash)) - 4 / 3) < 0.2);
    const event = await eventually(async () => received.find((e) => e.type === 'asset.ready' && e.data.asset_id === asset.id), 20_000, 'asset.ready');
    assert.deepEqual(event.data.placeholder, asset.placeholder);
  });

  it('audio has none', async () => {
    const { ffmpegMedia } = await import('../helpers/media.js');
    const { complete } = await uploadMedia(t, key, await ffmpegMedia('mp3'), 'a.mp3', 'audio/mpeg');
    const asset = await assetWhen(t, key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready');
    assert.equal(asset.placeholder, null);
  });
});

/**
 * Storyboards: a video gets a sprite of thumbnails and a WebVTT mapping each interval to its
 * tile, from the ladder's own ffmpeg run. The VTT parses, its cues cover the duration without
 * gap, its tiles lie on the sprite's grid; the VTT and every tile URL answer without the key
 * while the token is valid and 403 after; the bytes count in the quota and leave with the asset.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { storyboardPlan, storyboardVtt } from '../../src/media/storyboard.js';
import { useIntake } from '../helpers/intake.js';
import { assertAllExpire, assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';

interface Cue {
  start: number;
  end: number;
  url: string;
  xywh: [number, number, number, number];
}

const seconds = (ts: string) => {
  const m = /^(\d{2,}):(\d{2}):(\d{2})\.(\d{3})$/.exec(ts);
  assert.ok(m, `a WebVTT timestamp: ${ts}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
};

/** A strict reading of the WebVTT the way thumbnail players read it: a header, then cue blocks of a timing line and a URL. */
function parseVtt(text: string, base: string): Cue[] {
  const blocks = text.trim().split(/\n\n+/);
  assert.equal(blocks.shift(), 'WEBVTT');
  return blocks.map((block) => {
    const [timing, target, ...rest] = block.split('\n');
    assert.deepEqual(rest, [], `one URL per cue: ${block}`);
    const m = /^(\S+) --> (\S+)$/.exec(timing ?? '');
    assert.ok(m, `a timing line: ${timing}`);
    const frag = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(target ?? '');
    assert.ok(frag, `a tile: ${target}`);
    return { start: seconds(m[1]!), end: seconds(m[2]!), url: new URL(target!, base).toString(), xywh: frag.slice(1).map(Number) as Cue['xywh'] };
  });
}

const t = useIntake({ INTAKE_VIDEO_LADDER: '240' });
let asset: any;

describe('storyboard', () => {
  before(async () => {
    const { complete } = await uploadMedia(t, t.key, await videoClip(320, 240, 9), 'clip.mp4', 'video/mp4');
    asset = await assetWhen(t, t.key, complete.body.data.asset.id, ['ready', 'failed']);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
  });

  it('the VTT parses, its cues cover the duration without gap, and its tiles lie on the sprite', async () => {
    const { vtt, image } = asset.playback.storyboard as { vtt: string; image: string };
    assert.match(vtt, /\/storyboard\/med_\w+\/\d+\.[\w-]+\/storyboard\.vtt$/);
    assert.ok(!asset.sources.some((s: any) => s.label === 'storyboard'), 'not a downloadable source');
    const res = await fetch(vtt);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/vtt; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), '*', 'a player on another origin reads it');
    const cues = parseVtt(await res.text(), vtt);
    assert.equal(cues[0]!.start, 0);
    for (let i = 1; i < cues.length; i++) assert.equal(cues[i]!.start, cues[i - 1]!.end, `cue ${i} follows the one before`);
    assert.ok(Math.abs(cues.at(-1)!.end - asset.duration) < 0.05, `the last cue ends at the duration (${cues.at(-1)!.end} vs ${asset.duration})`);
    assert.equal(cues.length, 9, 'a tile a second');
    assert.ok(cues.every((c) => c.url.split('#')[0] === image), 'every tile is cut from the sprite the view links');

    const sprite = Buffer.from(await (await fetch(image)).arrayBuffer());
    const meta = await sharp(sprite).metadata();
    assert.equal(meta.format, 'jpeg');
    const [, , w, h] = cues[0]!.xywh;
    assert.deepEqual([w, h], [160, 120], 'tiles keep the video’s 4:3');
    assert.deepEqual([meta.width, meta.height], [9 * w, h], 'nine tiles in a row, nothing more');
    const tiles = new Set(cues.map((c) => c.xywh.join()));
    assert.equal(tiles.size, cues.length, 'each cue its own tile');
    for (const c of cues) assert.ok(c.xywh[0] + c.xywh[2] <= meta.width! && c.xywh[1] + c.xywh[3] <= meta.height!);
    // testsrc draws a running counter: the first and last tiles show different frames.
    const tile = (c: Cue) => sharp(sprite).extract({ left: c.xywh[0], top: c.xywh[1], width: c.xywh[2], height: c.xywh[3] }).raw().toBuffer();
    assert.notDeepEqual(await tile(cues[0]!), await tile(cues.at(-1)!));
  });

  it('the VTT and its tiles answer without the key while the token is valid, 403 after', async () => {
    const view = (await t.api('GET', `/v1/assets/${asset.id}?expires_in=60`, { key: t.key })).body.data;
    const urls = [view.playback.storyboard.vtt, ...new Set(parseVtt(await (await fetch(view.playback.storyboard.vtt)).text(), view.playback.storyboard.vtt).map((c) => c.url.split('#')[0]!))];
    assert.equal(urls.length, 2);
    for (const u of urls) assert.equal((await fetch(u)).status, 200, u);
    assert.equal((await fetch(urls[0]!.replace('/storyboard/', '/hls/'))).status, 403, 'a storyboard token opens no HLS');
    assert.equal((await fetch(urls[0]!.replace('storyboard.vtt', 'other.jpg'))).status, 404);
    await assertAllExpire(t, urls);
  });

  it('its bytes count in the quota and leave with the asset', async () => {
    const own = await t.tenant();
    const { complete } = await uploadMedia(t, own.key, await videoClip(320, 240, 3), 'c.mp4', 'video/mp4');
    const id = complete.body.data.asset.id;
    await assetWhen(t, own.key, id, ['ready']);
    await t.settled();
    const files = (await t.storedFiles()).filter((f) => f.startsWith(`${own.namespaceId}/${id}/storyboard/`)).sort();
    assert.deepEqual(files, [`${own.namespaceId}/${id}/storyboard/sprite.jpg`, `${own.namespaceId}/${id}/storyboard/storyboard.vtt`]);
    const sources = await t.intake.deps.store.assets.listSources(id);
    const board = sources.find((s) => s.label === 'storyboard')!;
    assert.ok(board.filesize > 1000, `the sprite and the VTT: ${board.filesize} bytes`);
    const usage = (await t.api('GET', '/v1/usage', { key: own.key })).body.data.stored_bytes;
    assert.equal(usage, complete.body.data.file_size + sources.reduce((n, s) => n + s.filesize, 0));
    await t.api('DELETE', `/v1/assets/${id}`, { key: own.key });
    assert.equal((await t.api('GET', '/v1/usage', { key: own.key })).body.data.stored_bytes, 0);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.startsWith(`${own.namespaceId}/`)), []);
  });

  it('a long video gets at most 100 tiles, the interval growing with it', () => {
    const plan = storyboardPlan(2 * 3600 + 0.5)!;
    assert.deepEqual({ interval: plan.interval, tiles: plan.tiles, columns: plan.columns, rows: plan.rows }, { interval: 73, tiles: 99, columns: 10, rows: 10 });
    const cues = parseVtt(storyboardVtt(plan, 1600, 900), 'https://cdn.test/sb/storyboard.vtt');
    assert.equal(cues.at(-1)!.end, 7200.5);
    assert.deepEqual(cues.at(-1)!.xywh, [8 * 160, 9 * 90, 160, 90]);
    assert.equal(storyboardPlan(null), null, 'no duration, no storyboard');
  });
});

/**
 * HLS: a video gets CMAF segments and a master playlist from the ladder's own ffmpeg run;
 * ffprobe reads the master; every playlist and segment answers without the API key while
 * the token is valid and 403 after; the bytes count in the quota and leave with the asset;
 * public namespaces redirect `/p/{ns}/{alias}/hls/master.m3u8` to a fresh token.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { assertAllExpire, assetWhen, uploadMedia, videoClip } from '../helpers/processing.js';

const run = promisify(execFile);
let t: TestIntake;
let tenant: { namespaceId: string; key: string };
let asset: any;
before(async () => {
  t = await startIntake({ INTAKE_VIDEO_LADDER: '240,180' });
  tenant = await t.tenant();
  const { complete } = await uploadMedia(t, tenant.key, await videoClip(320, 240, 9), 'clip.mp4', 'video/mp4');
  asset = await assetWhen(t, tenant.key, complete.body.data.asset.id, ['ready', 'failed']);
  assert.equal(asset.status, 'ready', JSON.stringify(asset.error));
});
after(() => t.close());

/** Every URL a player would fetch, from the master down. */
async function crawl(master: string): Promise<string[]> {
  const urls = [master];
  const seen: string[] = [];
  while (urls.length) {
    const url = urls.shift()!;
    seen.push(url);
    if (!url.endsWith('.m3u8')) continue;
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1] ?? (line && !line.startsWith('#') ? line : null);
      if (uri) urls.push(new URL(uri, url).toString());
    }
  }
  return seen;
}

describe('HLS', () => {
  it('the asset view has playback.hls; the master lists each rung with bandwidth, resolution and codecs, and an audio group', async () => {
    assert.ok(!asset.sources.some((s: any) => s.label === 'hls'), 'not a downloadable source');
    const master = asset.playback.hls as string;
    assert.match(master, /\/hls\/med_\w+\/\d+\.[\w-]+\/master\.m3u8$/);
    const res = await fetch(master);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const text = await res.text();
    const rungs = text.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'));
    assert.equal(rungs.length, 2);
    for (const r of rungs) assert.match(r, /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=\d+x(240|180),CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2",AUDIO="audio"/);
    assert.match(text, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio".*URI="audio\/index\.m3u8"/);
    // ffprobe reads the master through its own HTTP client: every rung and the audio.
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_programs', master]);
    const probed = JSON.parse(stdout) as { programs: unknown[]; streams: Array<{ codec_type: string; height?: number }> };
    assert.deepEqual(probed.streams.filter((s) => s.codec_type === 'video').map((s) => s.height).sort(), [180, 240]);
    assert.ok(probed.streams.some((s) => s.codec_type === 'audio'));
  });

  it('segments are CMAF, cut on the same grid in every rung', async () => {
    const urls = await crawl(asset.playback.hls);
    const media = urls.filter((u) => u.endsWith('.m4s'));
    assert.ok(media.length >= 6, `${media.length} segments`);
    const durations = async (playlist: string) => (await (await fetch(playlist)).text()).split('\n').filter((l) => l.startsWith('#EXTINF')).join();
    const rungPlaylists = urls.filter((u) => /\/(240p|180p)\/index\.m3u8$/.test(u));
    assert.equal(rungPlaylists.length, 2);
    assert.equal(await durations(rungPlaylists[0]!), await durations(rungPlaylists[1]!), 'aligned segments');
    const init = Buffer.from(await (await fetch(urls.find((u) => u.endsWith('/init.mp4'))!)).arrayBuffer());
    assert.ok(init.includes('ftyp') && init.includes('moov'), 'fMP4 init segment');
  });

  it('every URL answers 200 without the key while the token is valid, 403 after; a forged token is 403', async () => {
    const res = await t.api('GET', `/v1/assets/${asset.id}?expires_in=60`, { key: tenant.key });
    const urls = await crawl(res.body.data.playback.hls);
    assert.ok(urls.length > 8);
    for (const u of urls) assert.equal((await fetch(u)).status, 200, u);
    const forged = urls[0]!.replace(/\/(\d+)\.([\w-]+)\//, (_m, e) => `/${Number(e) + 3600}.AAAA/`);
    assert.equal((await fetch(forged)).status, 403);
    const other = urls[0]!.replace(`/hls/${asset.id}/`, '/hls/med_someoneelse/');
    assert.equal((await fetch(other)).status, 403, 'a token opens its own asset only');
    await assertAllExpire(t, urls);
    assert.equal((await fetch(urls[0]!.replace('master.m3u8', '../../etc/passwd'))).status, 404);
  });

  it('public namespaces redirect /p/{ns}/{alias}/hls/master.m3u8 to a fresh token', async () => {
    const path = `/p/${tenant.namespaceId}/trailer/hls/master.m3u8`;
    await t.api('PATCH', `/v1/assets/${asset.id}`, { key: tenant.key, json: { alias: 'trailer' } });
    assert.equal((await fetch(t.url + path, { redirect: 'manual' })).status, 404, 'not public');
    await t.api('PATCH', `/v1/namespaces/${tenant.namespaceId}`, { json: { public_delivery: true } });
    const res = await fetch(t.url + path, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal((await fetch(res.headers.get('location')!)).status, 200);
  });

  it('its bytes count in the quota and leave with the asset', async () => {
    const own = await t.tenant();
    const { complete } = await uploadMedia(t, own.key, await videoClip(320, 240, 5), 'c.mp4', 'video/mp4');
    await assetWhen(t, own.key, complete.body.data.asset.id, ['ready']);
    const files = (await t.storedFiles()).filter((f) => f.startsWith(`${own.namespaceId}/${complete.body.data.asset.id}/hls/`));
    assert.ok(files.length > 8, `${files.length} HLS files`);
    const usage = (await t.api('GET', '/v1/usage', { key: own.key })).body.data.stored_bytes;
    const row = (await t.intake.deps.store.assets.listSources(complete.body.data.asset.id)).find((s) => s.label === 'hls')!;
    const sources = await t.intake.deps.store.assets.listSources(complete.body.data.asset.id);
    assert.equal(usage, complete.body.data.file_size + sources.reduce((n, s) => n + s.filesize, 0));
    assert.ok(row.filesize > 0);
    await t.api('DELETE', `/v1/assets/${complete.body.data.asset.id}`, { key: own.key });
    assert.equal((await t.api('GET', '/v1/usage', { key: own.key })).body.data.stored_bytes, 0);
    assert.deepEqual((await t.storedFiles()).filter((f) => f.startsWith(`${own.namespaceId}/`)), []);
  });
});

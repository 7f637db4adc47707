/**
 * Complete and create at their edges: a missing ffprobe is an outage (503, the
 * session reopens, its bytes stay), not bad bytes; a duplicate by file_hash still has to
 * meet the session's conditions; and no error, answered or stored, shows a server path.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { fakeTool, ffmpegMedia, png, sha256 } from '../helpers/media.js';
import { assertError, createSession, put, snapshot } from './error-helpers.js';

let t: TestIntake;
let key: string;
let clip: Buffer;
let image: Buffer;

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  [clip, image] = await Promise.all([ffmpegMedia('mp4'), png(64, 48)]);
});
after(() => t.close());


describe('a tool outage is not bad bytes', () => {
  it('complete without ffprobe answers 503 unavailable, the upload is pending again with its bytes, and a retry succeeds', async () => {
    // An Intake whose INTAKE_FFPROBE_PATH names a file that is not there (yet).
    const ffprobe = await fakeTool('ffprobe');
    const own = await startIntake({ INTAKE_FFPROBE_PATH: ffprobe.path });
    try {
      const { key: k } = await own.tenant({ quota_bytes: 10 * 1024 * 1024 });
      const s = await createSession(own, k, { filename: 'clip.mp4', content_type: 'video/mp4', file_size: clip.length, alias: 'outage-clip' });
      assert.equal((await put(s.upload_url, clip, 'video/mp4')).status, 200);
      const stored = await own.storedFiles();
      assert.ok(stored.some((f) => f.includes(s.upload_id)));

      const res = await own.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} });
      assertError(res, 503, 'unavailable');

      const after = await own.api('GET', `/v1/uploads/${s.upload_id}`, { key: k });
      assert.equal(after.body.data.status, 'pending', JSON.stringify(after.body.data));
      assert.equal(after.body.data.error, null);
      assert.deepEqual((await own.storedFiles()).sort(), stored.sort(), 'the bytes are kept');
      const usage = await snapshot(own, k);
      assert.equal(usage.usage.reserved_bytes, clip.length, 'the reservation is kept');
      assert.equal((await own.api('GET', `/v1/assets/${s.asset_id}`, { key: k })).body.data.status, 'pending');

      // The tool appears at the configured path (the real ffprobe behind it): the retry goes through.
      await ffprobe.set('exec ffprobe "$@"');
      const retry = await own.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k, json: {} });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.data.status, 'processing');
      assert.deepEqual([retry.body.data.asset.width, retry.body.data.asset.height], [160, 120]);
      assert.equal(retry.body.data.asset.alias, 'outage-clip');
    } finally {
      await own.close();
      await ffprobe.remove();
    }
  });
});

describe('duplicates honour conditions', () => {
  const unmet = { operator: '&&', rules: [{ key: 'width', operator: '>=', value: 4000 }] };
  const met = { operator: '&&', rules: [{ key: 'width', operator: '==', value: 64 }, { key: 'height', operator: '<', value: 100 }] };

  it('a known hash under conditions the stored media fails is 422 conditions_not_met, and records nothing', async () => {
    const { key: k } = await t.tenant();
    const hash = sha256(image);
    const first = await createSession(t, k, { filename: 'a.png', content_type: 'image/png', file_size: image.length, file_hash: hash });
    assert.equal((await put(first.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('POST', `/v1/uploads/${first.upload_id}/complete`, { key: k })).status, 200);

    const before = await snapshot(t, k);
    const res = assertError(
      await t.api('POST', '/v1/uploads', { key: k, json: { filename: 'b.png', content_type: 'image/png', file_size: image.length, file_hash: hash, conditions: unmet } }),
      422,
      'conditions_not_met',
    );
    assert.deepEqual(res.body.error!.details.failed_rules, unmet.rules);
    assert.deepEqual(await snapshot(t, k), before, 'no upload row, asset or reservation was added');
    assert.equal(before.uploads.length, 1);

    const dup = await t.api('POST', '/v1/uploads', { key: k, json: { filename: 'c.png', content_type: 'image/png', file_size: image.length, file_hash: hash, conditions: met } });
    assert.equal(dup.status, 200, JSON.stringify(dup.body));
    assert.equal(dup.body.data.is_duplicate, true);
    assert.equal(dup.body.data.asset_id, first.asset_id);
    assert.equal((await snapshot(t, k)).uploads.length, 2);
  });
});

/** The same PNG with its IHDR chunk's CRC flipped. */
function corruptIhdr(png: Buffer): Buffer {
  const copy = Buffer.from(png);
  copy[32] = copy[32]! ^ 0xff;
  return copy;
}

describe('error details never show server paths', () => {
  const ftyp = () => clip.subarray(0, clip.readUInt32BE(0));
  const cases = [
    { name: 'random bytes declared video/mp4', type: 'video/mp4', body: () => randomBytes(4096) },
    // Sniffs as MP4, so ffprobe runs on the stored file and complains about it.
    { name: 'an MP4 ftyp box followed by garbage', type: 'video/mp4', body: () => Buffer.concat([ftyp(), Buffer.alloc(4096, 0xab)]), reason: 'undecodable' },
    // Sniffs as PNG (no checksum is checked there), so libvips opens the stored file and complains about it.
    { name: 'a PNG whose IHDR checksum is wrong', type: 'image/png', body: () => corruptIhdr(image), reason: 'undecodable' },
  ];

  for (const c of cases) {
    it(`${c.name}: 415, and neither the answer nor the stored upload names the data dir or /tmp/`, async () => {
      assert.ok(t.dataDir.startsWith('/tmp/'), `the data dir ${t.dataDir} is under /tmp/, so a leak would show`);
      const body = c.body();
      const s = await createSession(t, key, { filename: 'bad.bin', content_type: c.type, file_size: body.length });
      assert.equal((await put(s.upload_url, body, c.type)).status, 200);
      const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key }), 415, 'unsupported_media_type');
      if (c.reason) assert.equal(res.body.error!.details.reason, c.reason, JSON.stringify(res.body));
      const got = await t.api('GET', `/v1/uploads/${s.upload_id}`, { key });
      assert.equal(got.body.data.status, 'failed');
      for (const text of [JSON.stringify(res.body), JSON.stringify(got.body)]) {
        assert.ok(!text.includes(t.dataDir), `names the data dir: ${text}`);
        assert.ok(!text.includes('/tmp/'), `names /tmp/: ${text}`);
        assert.ok(!text.includes(s.upload_id + '/'), `names a storage key path: ${text}`);
      }
    });
  }
});

describe('housekeeping', () => {
  it('purging a long-closed session also removes bytes an earlier cleanup left behind', async () => {
    const { key: k, namespaceId } = await t.tenant();
    const s = await createSession(t, k, { filename: 'p.png', content_type: 'image/png', file_size: image.length });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: k })).body.data.status, 'canceled');
    // What a failed delete at cancel time leaves: the bytes, with no open session.
    const leftover = path.join(t.dataDir, 'storage', 'objects', namespaceId, s.upload_id, 'original');
    await fs.mkdir(path.dirname(leftover), { recursive: true });
    await fs.writeFile(leftover, image);
    assert.ok((await t.storedFiles()).some((f) => f.includes(s.upload_id)));

    t.clock.advance(31 * 86400);
    try {
      const swept = await t.intake.sweep();
      assert.ok(swept.purged >= 1, JSON.stringify(swept));
      assertError(await t.api('GET', `/v1/uploads/${s.upload_id}`, { key: k }), 404, 'not_found');
      assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(s.upload_id)), [], 'the leftover bytes are gone');
    } finally {
      t.clock.advance(-31 * 86400);
    }
  });

  it('the server drops a socket that sends nothing for 60 s (no test waits that long: the setting is checked)', () => {
    assert.equal(t.intake.app.server.timeout, 60_000);
  });
});

/**
 * Image renditions decode the whole image in a child process under a memory cap: an image
 * that needs more fails its own job, and the same image renders under a sufficient cap.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { findPrlimit } from '../../src/media/image.js';
import { makeImageRenditions } from '../../src/media/image-renditions.js';

describe('image renditions under a memory cap', () => {
  let dir: string;
  let input: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-rendition-cap-'));
    input = path.join(dir, 'big.png');
    // 8000×8000 RGB: ~190 MB once decoded, a few hundred KB as a PNG of flat colour.
    await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#3366aa' } }).png().toFile(input);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('prlimit is available (the cap is applied)', () => {
    assert.ok(findPrlimit(), 'util-linux prlimit must be installed for the memory cap');
  });

  it('an image needing more than the cap fails its own job; a larger cap renders it', async () => {
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const small = path.join(dir, 'small.png');
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#aa6633' } }).png().toFile(small);
    assert.equal((await makeImageRenditions(small, out, { maxPixels: 1e9, memoryMb: 160, timeoutMs: 60_000 })).length, 2, 'a small image fits the small cap');
    await assert.rejects(makeImageRenditions(input, out, { maxPixels: 1e9, memoryMb: 160, timeoutMs: 60_000 }), /image renditions failed|could not be decoded/);
    const made = await makeImageRenditions(input, out, { maxPixels: 1e9, memoryMb: 2048, timeoutMs: 60_000 });
    assert.deepEqual(made.map((r) => [r.label, Math.max(r.width, r.height)]).sort(), [['preview', 1280], ['thumbnail', 320]]);
  });
});

/**
 * Image renditions decode the whole image in a child process under a memory cap: an image
 * that needs more fails its own job, and the same image renders under a sufficient cap; one
 * that needs more CPU time than its deadline is killed and fails its own job.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { findPrlimit } from '../../src/media/image.js';
import { MediaError } from '../../src/media/ffmpeg.js';
import { makeImageRenditions } from '../../src/media/image-renditions.js';
import { sourceEntry } from '../helpers/entry.js';
import { eventually } from '../helpers/intake.js';

/** Processes whose command line names `needle`. */
function processesNaming(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', needle], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(needle) && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Slow to render: thousands of blurred shapes on a large canvas (a new file per call). */
let slowSvgs = 0;
async function slowSvg(dir: string): Promise<string> {
  const svg = path.join(dir, `slow-${slowSvgs++}.svg`);
  const shapes = Array.from({ length: 4000 }, (_, i) => `<circle cx="${(i * 37) % 6000}" cy="${(i * 53) % 6000}" r="400" fill="#${(i * 4099).toString(16).padStart(6, '0').slice(-6)}" filter="url(#b)"/>`);
  await fs.writeFile(svg, `<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6000"><defs><filter id="b"><feGaussianBlur stdDeviation="60"/></filter></defs>${shapes.join('')}</svg>`);
  return svg;
}

describe('image renditions under a memory cap and a CPU deadline', () => {
  let dir: string;
  let input: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-rendition-cap-'));
    input = path.join(dir, 'big.png');
    // 12000×12000 RGB: ~430 MB once decoded, a few hundred KB as a PNG of flat colour. Its
    // renderer's data peaks above 200 MB compiled (~270 MB from source).
    await sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#3366aa' } }).png().toFile(input);
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
    // The small cap leaves room for tsx's hooks in a renderer run from source, as here (~35 MB
    // more: ~150 MB of data for this image, ~120 MB compiled).
    const cap = 192;
    assert.equal((await makeImageRenditions(small, out, { maxPixels: 1e9, memoryMb: cap, cpuMs: 60_000 })).renditions.length, 2, 'a small image fits the small cap');
    await assert.rejects(makeImageRenditions(input, out, { maxPixels: 1e9, memoryMb: cap, cpuMs: 60_000 }), /image renditions failed|could not be decoded/);
    const made = await makeImageRenditions(input, out, { maxPixels: 1e9, memoryMb: 2048, cpuMs: 60_000 });
    assert.deepEqual(made.renditions.map((r) => [r.name, Math.max(r.width, r.height)]).sort(), [['preview', 1280], ['thumbnail', 320]]);
  });

  it('a rendition past its CPU deadline is killed and fails its own job as too complex', async () => {
    const svg = await slowSvg(dir);
    const out = path.join(dir, 'deadline-out');
    await fs.mkdir(out);
    const started = Date.now();
    await assert.rejects(makeImageRenditions(svg, out, { maxPixels: 1e9, memoryMb: 4096, cpuMs: 400 }), (err: unknown) => {
      assert.ok(err instanceof MediaError, `a MediaError (the job fails for good), got ${String(err)}`);
      assert.match(err.message, /too complex to render in time/);
      return true;
    });
    // Without the deadline it renders for tens of seconds (the orphan test below relies on that).
    assert.ok(Date.now() - started < 10_000, `killed near its 400 ms of CPU, not after ${Date.now() - started} ms`);
    await eventually(async () => processesNaming(svg).length === 0, 5_000, 'the killed rendition child to be gone');
    assert.deepEqual(await fs.readdir(out), [], 'nothing written');
  });

  it('a rendition child stops at once when its worker is killed, instead of rendering on as an orphan', async () => {
    const svg = await slowSvg(dir);
    const out = path.join(dir, 'orphan-out');
    await fs.mkdir(out);
    const renditions = sourceEntry('src/media/image-renditions.ts');
    const parent = spawn(process.execPath, [...renditions.execArgv, '-e', `import(${JSON.stringify(renditions.url.href)}).then((m) => m.makeImageRenditions(${JSON.stringify(svg)}, ${JSON.stringify(out)}, { maxPixels: 1e9, memoryMb: 4096, cpuMs: 600000 })).catch(() => {}); setInterval(() => {}, 1000);`], { stdio: 'ignore' });
    try {
      // The child's command line names its module (media/render-child); the parent's only image-renditions.
      await eventually(async () => processesNaming(svg).some((l) => l.includes('render-child')), 20_000, 'the rendition child to start');
      parent.kill('SIGKILL');
      await eventually(async () => processesNaming(svg).length === 0, 15_000, 'the orphaned rendition child to exit');
      // It stopped, not finished: a child that rendered on would have written its files.
      assert.deepEqual(await fs.readdir(out), []);
    } finally {
      parent.kill('SIGKILL');
      for (const line of processesNaming(svg)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    }
  });
});

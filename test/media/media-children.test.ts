/**
 * The media child processes as modules, run from their files the way their parents start
 * them (media/image-child.ts for the prober, media/render-child.ts for renditions): the
 * prober's child answers probes over IPC and stops when its parent goes; the renderer
 * writes its renditions and tells a refused image (exit 2) from a crash.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { moduleEntry } from '../../src/lib/module-entry.js';
import type { ProbeReply, ProbeRequest } from '../../src/media/image-child.js';
import type { RenderJob, RenderResult } from '../../src/media/render-child.js';
import { eventually } from '../helpers/intake.js';

const IMAGE_CHILD = moduleEntry('../../src/media/image-child', import.meta.url);
const RENDER_CHILD = moduleEntry('../../src/media/render-child', import.meta.url);

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

let dir: string;
let image: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-media-children-'));
  image = path.join(dir, 'a.png');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).png().toFile(image);
  await fs.writeFile(path.join(dir, 'not-an-image.png'), 'plain text, not a PNG');
});
after(() => fs.rm(dir, { recursive: true, force: true }));

describe('the image prober child (media/image-child)', () => {
  it('answers ready, then one reply per probe: dimensions, a refused file, a missing one', async () => {
    const child = spawn(process.execPath, ['--max-old-space-size=64', ...IMAGE_CHILD.execArgv, IMAGE_CHILD.file], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const replies: ProbeReply[] = [];
    child.on('message', (m: ProbeReply) => replies.push(m));
    const next = async (n: number): Promise<ProbeReply> => {
      await eventually(async () => replies.length >= n, 20_000, `reply ${n}`);
      return replies[n - 1]!;
    };
    try {
      assert.deepEqual(await next(1), { ready: true });
      child.send({ file: image } satisfies ProbeRequest);
      assert.deepEqual(await next(2), { ok: true, width: 64, height: 48 });
      child.send({ file: path.join(dir, 'not-an-image.png') } satisfies ProbeRequest);
      assert.deepEqual({ ...(await next(3)), message: undefined }, { ok: false, system: false, message: undefined });
      child.send({ file: path.join(dir, 'missing.png') } satisfies ProbeRequest);
      const missing = await next(4);
      assert.ok('ok' in missing && !missing.ok && missing.system, `a missing file is the system's fault: ${JSON.stringify(missing)}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kills itself when its parent goes (the IPC channel closes)', async () => {
    const child = spawn(process.execPath, [...IMAGE_CHILD.execArgv, IMAGE_CHILD.file], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      await new Promise((resolve) => child.once('message', resolve));
      child.disconnect();
      assert.deepEqual(await exited(child), { code: null, signal: 'SIGKILL' });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the image renderer child (media/render-child)', () => {
  const job: RenderJob = { specs: [{ name: 'thumbnail', width: 32, height: 32, fit: 'inside', format: 'webp', quality: 80 }], placeholder: true };
  const render = (input: string, out: string) => {
    const child = spawn(process.execPath, [...RENDER_CHILD.execArgv, RENDER_CHILD.file, input, out, '1000000', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    return exited(child).then((how) => ({ ...how, stdout, stderr }));
  };

  it('writes its renditions and prints them', async () => {
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const res = await render(image, out);
    assert.equal(res.code, 0, res.stderr);
    const { renditions: made, placeholder } = JSON.parse(res.stdout) as RenderResult;
    assert.deepEqual(made, [{ name: 'thumbnail', file: path.join(out, 'thumbnail.webp'), width: 32, height: 24, size: made[0]!.size }]);
    assert.match(placeholder!.thumbhash, /^[A-Za-z0-9+/]{20,}={0,2}$/);
    assert.match(placeholder!.color, /^#[0-9a-f]{6}$/);
    assert.deepEqual((await sharp(made[0]!.file).metadata()).format, 'webp');
  });

  it('exits 2 for an image sharp refuses, with the reason on stderr', async () => {
    const res = await render(path.join(dir, 'not-an-image.png'), dir);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /unsupported image format|Input file/i);
  });
});

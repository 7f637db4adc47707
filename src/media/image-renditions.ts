/**
 * Image thumbnail and preview, on-demand transforms and placeholders, with sharp in a
 * child process under `nice`: libvips never loads into the API or worker isolate, and a
 * hostile image that crashes or hangs it takes down only that child. Auto-oriented;
 * metadata is stripped (sharp's default).
 */
import { spawn } from 'node:child_process';
import { moduleEntry } from '../lib/module-entry.js';
import { mediaJobDeadline } from './cpu-deadline.js';
import { MediaError } from './ffmpeg.js';
import { findPrlimit } from './image.js';
import type { Rendered, RenderJob, RenderResult, RenderSpec } from './render-child.js';

export type { Placeholder, RenderFit, RenderFormat, RenderResult, RenderSpec } from './render-child.js';

export type ImageRendition = Rendered;

const IMAGE_RENDITIONS: readonly RenderSpec[] = [
  { name: 'thumbnail', width: 320, height: 320, fit: 'inside', format: 'webp', quality: 80 },
  { name: 'preview', width: 1280, height: 1280, fit: 'inside', format: 'webp', quality: 80 },
];

export interface RenderOptions {
  maxPixels: number;
  memoryMb: number;
  cpuMs: number;
  signal?: AbortSignal;
  /** libheif's heif-convert, for HEVC-coded HEIF (HEIC), which sharp's libvips cannot decode. */
  heifConvert?: string;
}

/** The child's module (render-child.ts): a small entry that loads sharp and nothing of the project. */
const CHILD = moduleEntry('./render-child', import.meta.url);

const PRLIMIT = findPrlimit();

/**
 * Renders in a niced child process under a memory cap (RLIMIT_DATA through prlimit, as for
 * verification) and a deadline: an image that passed verification's limits can still need
 * far more memory or time to resize (an SVG just under the element cap: 90,000 stroked text
 * elements parse in ~3 s and took over two minutes of CPU to draw), and that must fail its
 * own job, not grow the worker without bound or hold a core. The deadline counts the
 * child's CPU time, as the prober's does (`cpuMs`; 5× that on the clock).
 */
export function renderImage(input: string, outDir: string, job: RenderJob, opts: RenderOptions): Promise<RenderResult> {
  const bytes = opts.memoryMb * 1024 * 1024;
  const node = [process.execPath, ...CHILD.execArgv, CHILD.file, input, outDir, String(opts.maxPixels), JSON.stringify(job), opts.heifConvert ?? 'heif-convert'];
  const argv = PRLIMIT ? [PRLIMIT, `--data=${bytes}:${bytes}`, ...node] : node;
  return new Promise((resolve, reject) => {
    // nice and prlimit exec the next command: the pid is the renderer's throughout.
    const child = spawn('nice', ['-n', '19', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      signal: opts.signal,
    });
    let timedOut = false;
    const clear = mediaJobDeadline(child.pid, opts.cpuMs, () => {
      timedOut = true;
      child.kill('SIGKILL');
    });
    child.once('exit', clear);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => err.length < 4000 && (err += c));
    child.once('error', (e) => (clear(), reject(new Error(`image renditions did not run: ${e.message}`, { cause: e }))));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(JSON.parse(out) as RenderResult);
      // Exit 2: sharp refused the image itself; anything else (3: a system error, a kill) may pass.
      if (code === 2 && !signal) return reject(new MediaError(`The image could not be decoded: ${err.trim().split('\n')[0]?.slice(0, 200) ?? ''}`));
      // Killed at the deadline (not by a drain): the same image would take as long again, so
      // a retry only burns another worker's time. A drain's abort stays retryable.
      if (timedOut) return reject(new MediaError('The image is too complex to render in time.'));
      if (signal === 'SIGKILL' && !opts.signal?.aborted) return reject(new MediaError('The image is too complex to render in time or memory.'));
      reject(new Error(`image renditions failed (${signal ?? code}): ${err.slice(0, 200)}`));
    });
  });
}

/** An image asset's thumbnail and preview (WebP) and its placeholder. */
export function makeImageRenditions(input: string, outDir: string, opts: RenderOptions): Promise<RenderResult> {
  return renderImage(input, outDir, { specs: [...IMAGE_RENDITIONS], placeholder: true }, opts);
}

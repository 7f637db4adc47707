/**
 * Image dimensions, read by sharp in child processes: libvips never loads into the API
 * process (its threads and caches would stay in the API's memory), and each job runs alone in its child under a
 * memory cap (RLIMIT_DATA through util-linux `prlimit`) and a deadline. A decoding bomb
 * (an SVG of a million elements takes ~1.6 GB in librsvg) kills only its own child and
 * fails only its own upload; memory goes back to the system when the child exits. At most
 * `concurrency` jobs run at once; the rest wait their turn. Idle children exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { moduleEntry } from '../lib/module-entry.js';
import { mediaJobDeadline } from './cpu-deadline.js';
import type { ProbeReply, ProbeRequest } from './image-child.js';
import { countSvgElements } from './svg-check.js';

export interface ImageInfo {
  width: number;
  height: number;
}

export interface ImageLimits {
  /** Jobs decoding at once (one child process each). */
  concurrency: number;
  /** Private memory a job's process may use, Node itself included (~90 MB). */
  memoryMb: number;
  /** A job that has used this much CPU time is killed (or, waiting its turn at nice 19, 5× this long on the clock). */
  timeoutMs: number;
  /** An SVG with more elements than this is refused before librsvg sees it. */
  maxSvgElements: number;
  /** A gzip-compressed SVG (.svgz) that inflates to more bytes than this is refused before librsvg sees it. */
  maxSvgInflatedBytes: number;
  /** A child left idle this long exits, so its memory goes back. */
  idleMs: number;
}

/** 64 MiB: 640 bytes for each of the 100,000 elements allowed by default; inflating it takes well under a second. */
export const MAX_SVG_INFLATED_BYTES = 64 * 1024 * 1024;

const DEFAULT_IMAGE_LIMITS: ImageLimits = { concurrency: 2, memoryMb: 512, timeoutMs: 30_000, maxSvgElements: 100_000, maxSvgInflatedBytes: MAX_SVG_INFLATED_BYTES, idleMs: 5_000 };

/** The bytes are not an image sharp can read. */
export class ImageDecodeError extends Error {
  constructor(cause: unknown) {
    super('not a decodable image', { cause });
    this.name = 'ImageDecodeError';
  }
}

/** The image needs more memory, time, elements or inflated bytes than one job may use: the file's fault, not an outage. */
export class ImageTooComplexError extends Error {
  constructor(readonly limit: 'memory' | 'time' | 'elements' | 'size', message: string) {
    super(message);
    this.name = 'ImageTooComplexError';
  }
}

/** The child's module (image-child.ts): a small entry that loads sharp and nothing of the project. */
const CHILD = moduleEntry('./image-child', import.meta.url);

const ALLOC_FAILED = /memory allocation|out of memory|allocation failed|cannot allocate|heap limit/i;

interface Job {
  file: string;
  resolve: (info: ImageInfo) => void;
  reject: (err: Error) => void;
}

interface Child {
  proc: ChildProcess;
  job: Job | null;
  timer?: NodeJS.Timeout;
  /** Clears the running job's deadline. */
  deadline?: () => void;
  /** Sharp is loaded: the job's deadline starts now, not at process start. */
  ready: boolean;
  timedOut: boolean;
  stderr: string;
}

/** util-linux's prlimit, where Debian and most distributions install it; without it jobs run uncapped (time and concurrency still hold). */
export function findPrlimit(): string | null {
  for (const candidate of ['/usr/bin/prlimit', '/bin/prlimit', '/usr/local/bin/prlimit']) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export class ImageProber {
  private readonly limits: ImageLimits;
  private readonly queue: Job[] = [];
  private readonly idle: Child[] = [];
  private readonly children = new Set<Child>();
  private running = 0;
  private closed = false;
  private readonly prlimit = findPrlimit();

  constructor(limits: Partial<ImageLimits> = {}) {
    this.limits = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  }

  /** Live child processes (idle or busy); 0 once every job is done and the idle ones have exited. */
  get processes(): number {
    return this.children.size;
  }

  /** Display width and height (EXIF rotation applied), from the header only. */
  async probe(file: string): Promise<ImageInfo> {
    const svg = await countSvgElements(file, this.limits.maxSvgElements, this.limits.maxSvgInflatedBytes).catch((err: NodeJS.ErrnoException) => {
      // A gzip stream that breaks off or is not gzip after its magic number: the bytes' fault.
      throw String(err.code).startsWith('Z_') ? new ImageDecodeError(err) : err;
    });
    if (svg.inflatedTooLarge) {
      throw new ImageTooComplexError('size', `The compressed SVG inflates to more than ${this.limits.maxSvgInflatedBytes} bytes.`);
    }
    if (svg.elements > this.limits.maxSvgElements) {
      throw new ImageTooComplexError('elements', `The SVG has more than ${this.limits.maxSvgElements} elements.`);
    }
    return new Promise<ImageInfo>((resolve, reject) => {
      if (this.closed) return reject(new Error('image prober is closed'));
      this.queue.push({ file, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('image prober is closed'));
    const exits = [...this.children].map((c) => new Promise<void>((r) => {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null) return r();
      c.proc.once('exit', () => r());
      // An idle child is unref'd: without this the loop would not wait for its exit.
      c.proc.ref();
      c.proc.kill('SIGKILL');
    }));
    await Promise.all(exits);
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.limits.concurrency) {
      const job = this.queue.shift()!;
      this.running++;
      this.dispatch(this.idle.pop() ?? this.spawnChild(), job);
    }
  }

  private dispatch(child: Child, job: Job): void {
    clearTimeout(child.timer);
    child.deadline?.();
    child.job = job;
    child.proc.ref();
    (child.proc.channel as { ref?: () => void } | undefined)?.ref?.();
    if (child.ready) this.start(child, job);
  }

  private start(child: Child, job: Job): void {
    child.deadline = mediaJobDeadline(child.proc.pid, this.limits.timeoutMs, () => {
      child.timedOut = true;
      child.proc.kill('SIGKILL');
    });
    child.proc.send({ file: job.file } satisfies ProbeRequest, (err) => {
      if (err) child.proc.kill('SIGKILL');
    });
  }

  private spawnChild(): Child {
    const node = [process.execPath, '--max-old-space-size=64', ...CHILD.execArgv, CHILD.file];
    const bytes = this.limits.memoryMb * 1024 * 1024;
    const [cmd, ...args] = this.prlimit ? [this.prlimit, `--data=${bytes}:${bytes}`, ...node] : node;
    // A small, fixed environment (every path is absolute): no NODE_OPTIONS loaders; few malloc arenas so the cap measures the image.
    const env = { MALLOC_ARENA_MAX: '2', VIPS_CONCURRENCY: '1' };
    const proc = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env });
    // Decoding is background work: on a busy machine the API's own requests come first.
    try {
      if (proc.pid) os.setPriority(proc.pid, 19);
    } catch {
      // not permitted here: run at normal priority
    }
    const child: Child = { proc, job: null, ready: false, timedOut: false, stderr: '' };
    this.children.add(child);
    proc.stderr?.on('data', (chunk: Buffer) => {
      child.stderr = (child.stderr + chunk.toString('utf8')).slice(-2000);
    });
    proc.on('message', (reply: ProbeReply) => this.finish(child, reply));
    proc.on('error', (err) => this.lost(child, new Error(`image process failed to start: ${err.message}`)));
    proc.on('exit', (code, signal) => {
      const why = child.timedOut
        ? new ImageTooComplexError('time', `Reading the image took longer than ${this.limits.timeoutMs} ms.`)
        : signal === 'SIGABRT' || signal === 'SIGSEGV' || signal === 'SIGTRAP' || ALLOC_FAILED.test(child.stderr)
          ? new ImageTooComplexError('memory', `Reading the image needed more than ${this.limits.memoryMb} MB.`)
          : new Error(`image process exited (${signal ?? code}): ${child.stderr.slice(-300)}`);
      this.lost(child, why);
    });
    return child;
  }

  private finish(child: Child, reply: ProbeReply): void {
    if ('ready' in reply) {
      child.ready = true;
      if (child.job) this.start(child, child.job);
      return;
    }
    const job = child.job;
    if (!job) return;
    clearTimeout(child.timer);
    child.deadline?.();
    child.job = null;
    this.running--;
    if (reply.ok) job.resolve({ width: reply.width, height: reply.height });
    else if (reply.system) job.reject(new Error(`image probe failed: ${reply.message}`));
    else job.reject(new ImageDecodeError(new Error(reply.message)));
    if (this.closed) child.proc.kill('SIGKILL');
    else this.park(child);
    this.pump();
  }

  /** An idle child waits for the next job, and exits if none comes. */
  private park(child: Child): void {
    child.proc.unref();
    (child.proc.channel as { unref?: () => void } | undefined)?.unref?.();
    this.idle.push(child);
    child.timer = setTimeout(() => {
      const i = this.idle.indexOf(child);
      if (i >= 0) this.idle.splice(i, 1);
      child.proc.kill('SIGKILL');
    }, this.limits.idleMs);
    child.timer.unref();
  }

  /** The child is gone (or never started): its job, if any, fails with `err`. */
  private lost(child: Child, err: Error): void {
    clearTimeout(child.timer);
    child.deadline?.();
    this.children.delete(child);
    const i = this.idle.indexOf(child);
    if (i >= 0) this.idle.splice(i, 1);
    const job = child.job;
    child.job = null;
    if (job) {
      this.running--;
      job.reject(err);
    }
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    this.pump();
  }
}

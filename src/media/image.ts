/**
 * Image dimensions, read by sharp in a worker thread, so libvips never loads into the API's
 * own isolate: ~10 MB less RSS, idle and during uploads, and none of the extra GC work it
 * causes there (docs/BENCHMARKS.md, finding 1). One worker, started on first use,
 * restarted if it dies; it never keeps the process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

type ProbeReply =
  | { id: number; ok: true; width: number; height: number }
  | { id: number; ok: false; system: boolean; message: string };

/**
 * The worker's code, plain CommonJS so it runs the same from dist/ and from source under
 * tsx. sharp is resolved here, so the worker finds it whatever the working directory.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const sharp = require(${JSON.stringify(createRequire(import.meta.url).resolve('sharp'))});
// libvips reports resource trouble as plain messages, without an errno.
const RESOURCE = /too many open files|out of memory|cannot allocate|no space left/i;
parentPort.on('message', ({ id, file }) => {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (err) {
    parentPort.postMessage({ id, ok: false, system: true, message: String(err.message) });
    return;
  }
  sharp(file, { failOn: 'error' }).metadata().then(
    (meta) => {
      const width = (meta.autoOrient && meta.autoOrient.width) || meta.width;
      const height = (meta.autoOrient && meta.autoOrient.height) || meta.height;
      parentPort.postMessage(width && height ? { id, ok: true, width, height } : { id, ok: false, system: false, message: 'no dimensions' });
    },
    // System errors (EMFILE, ENOMEM...) are outages; anything libvips says about the input is bad bytes.
    (err) => parentPort.postMessage({ id, ok: false, system: Boolean(err.code) || RESOURCE.test(String(err.message)), message: String(err.message) }),
  );
});
`;

export interface ImageInfo {
  width: number;
  height: number;
}

export class ImageDecodeError extends Error {
  constructor(cause: unknown) {
    super('not a decodable image', { cause });
    this.name = 'ImageDecodeError';
  }
}

const PROBE_TIMEOUT_MS = 30_000;

type Pending = { resolve: (info: ImageInfo) => void; reject: (err: Error) => void };

export class ImageProber {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** Display width and height (EXIF rotation applied), from the header only. */
  probe(file: string): Promise<ImageInfo> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<ImageInfo>((resolve, reject) => {
      // A header read takes milliseconds; one that hangs is an outage: restart the worker.
      const timer = setTimeout(() => {
        void worker.terminate();
      }, PROBE_TIMEOUT_MS);
      const done = <T>(fn: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        fn(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      worker.ref();
      worker.postMessage({ id, file });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: ProbeReply) => this.settle(reply));
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`image worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: ProbeReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) p.resolve({ width: reply.width, height: reply.height });
    else if (reply.system) p.reject(new Error(`image probe failed: ${reply.message}`));
    else p.reject(new ImageDecodeError(new Error(reply.message)));
  }
}

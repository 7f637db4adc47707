/**
 * Sends the parts of a resumable session that storage does not hold yet, `parallel` at a
 * time, each retried with backoff; part URLs are signed in batches of up to 100 (the
 * route's limit) when first needed, and again once when storage refuses one as expired.
 */
import type { PartUrl, UploadedPart } from './api-types.js';
import type { UploadBackend } from './backend.js';
import { IntakeError } from './errors.js';
import type { ProgressTracker } from './progress.js';
import { withRetry } from './retry.js';
import type { UploadSource } from './source.js';
import { putRange, type PutTransport } from './transfer.js';
import type { RetryOptions } from './upload-types.js';

const SIGN_BATCH = 100;

export interface PartsJob {
  backend: UploadBackend;
  uploadId: string;
  source: UploadSource;
  partSize: number;
  partCount: number;
  /** URLs already signed (the create answer's first ≤ 100). */
  urls: PartUrl[];
  /** Parts storage already holds (resuming). */
  held: UploadedPart[];
  parallel: number;
  retry: RetryOptions;
  transport: PutTransport;
  progress: ProgressTracker;
  signal: AbortSignal;
}

export function partRange(partNumber: number, partSize: number, fileSize: number): { start: number; end: number } {
  const start = (partNumber - 1) * partSize;
  return { start, end: Math.min(fileSize, start + partSize) };
}

/** Sends every missing part; answers every part's ETag by part number, for complete. */
export async function sendParts(job: PartsJob): Promise<{ part_number: number; etag: string }[]> {
  const size = job.source.size;
  const etags = new Map<number, string>();
  for (const part of job.held) {
    const { start, end } = partRange(part.part_number, job.partSize, size);
    // A held part of the wrong size (another plan) is sent again rather than trusted.
    if (part.part_number <= job.partCount && part.size === end - start) {
      etags.set(part.part_number, part.etag);
      job.progress.acknowledge(part.part_number, part.size, true);
    }
  }
  job.progress.emit();
  const missing = Array.from({ length: job.partCount }, (_, i) => i + 1).filter((n) => !etags.has(n));
  const urls = new PartUrls(job, missing);
  const stop = new AbortController();
  const onAbort = () => stop.abort(job.signal.reason);
  job.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await pool(missing, job.parallel, async (n) => {
      etags.set(n, await sendPart(job, urls, n, stop.signal));
    }, stop);
  } finally {
    job.signal.removeEventListener('abort', onAbort);
  }
  return [...etags].sort((a, b) => a[0] - b[0]).map(([part_number, etag]) => ({ part_number, etag }));
}

async function sendPart(job: PartsJob, urls: PartUrls, n: number, signal: AbortSignal): Promise<string> {
  const { start, end } = partRange(n, job.partSize, job.source.size);
  let resigned = false;
  return withRetry(async () => {
    for (;;) {
      const url = await urls.get(n, signal);
      try {
        let etag: string | null;
        try {
          etag = await putRange(job.transport, { url }, job.source, start, end, signal, (bytes) => job.progress.sending(n, bytes));
        } finally {
          job.progress.dropped(n);
        }
        if (!etag) throw new IntakeError(502, { code: 'storage_error', message: `No ETag in the answer to part ${n}: the store's CORS rules must expose ETag.` });
        job.progress.acknowledge(n, end - start);
        return etag;
      } catch (err) {
        // 403/410 from storage: the URL may have expired or been signed for an old plan; sign it once more.
        if (resigned || !(err instanceof IntakeError) || (err.status !== 403 && err.status !== 410)) throw err;
        resigned = true;
        urls.forget(n);
      }
    }
  }, job.retry, signal);
}

/** Signed part URLs, fetched in batches when first needed. */
class PartUrls {
  private readonly cache = new Map<number, Promise<string>>();

  constructor(
    private readonly job: PartsJob,
    private readonly order: number[],
  ) {
    for (const u of job.urls) this.cache.set(u.part_number, Promise.resolve(u.url));
  }

  get(n: number, signal: AbortSignal): Promise<string> {
    const cached = this.cache.get(n);
    if (cached) return cached;
    const from = this.order.indexOf(n);
    const batch = [n, ...this.order.slice(from + 1).filter((m) => !this.cache.has(m))].slice(0, SIGN_BATCH);
    const signed = withRetry(() => this.job.backend.signParts(this.job.uploadId, batch, signal), this.job.retry, signal);
    for (const m of batch) {
      const url = signed.then((plan) => {
        const found = plan.urls.find((u) => u.part_number === m);
        if (!found) throw new IntakeError(502, { code: 'invalid_response', message: `Sign-parts did not sign part ${m}.` });
        return found.url;
      });
      // A failed batch is asked again by the next try.
      url.catch(() => {
        if (this.cache.get(m) === url) this.cache.delete(m);
      });
      this.cache.set(m, url);
    }
    return this.cache.get(n)!;
  }

  forget(n: number): void {
    this.cache.delete(n);
  }
}

/** Runs `fn` over `items`, `limit` at a time; the first failure stops the others (through `stop`). */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, stop: AbortController): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop.signal.aborted) await fn(items[next++]!);
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () =>
    worker().catch((err) => {
      if (!stop.signal.aborted) stop.abort(err);
      throw err;
    }),
  );
  const results = await Promise.allSettled(workers);
  if (stop.signal.aborted) throw stop.signal.reason;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * The job catalogue: one closed union of job names, each with a payload of ids only (a
 * handler reloads state, so a retried or late job sees the truth), the queue it runs on
 * and its retry policy. `Handlers` is an exhaustive map: a job without a handler does not compile.
 */
export interface JobPayloads {
  /** Verify an upload's bytes (async complete, form uploads): what a synchronous complete does. */
  'upload.verify': { uploadId: string };
  /** Fetch an import's source into its session, then complete it. */
  'upload.import': { uploadId: string };
  /** Make an asset's renditions (video ladder + poster, image thumbnail/preview, audio AAC). */
  'asset.process': { assetId: string };
  /** One attempt to deliver one webhook message. */
  'webhook.deliver': { deliveryId: string };
}

export type JobName = keyof JobPayloads;

export type Job = { [N in JobName]: { name: N; payload: JobPayloads[N] } }[JobName];

export const QUEUES = ['uploads', 'imports', 'media', 'webhooks'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface RetryPolicy {
  /** Runs at most this many times (the first run included). */
  attempts: number;
  /** Wait before retry n (1-based) is baseMs × 2^(n−1), at most maxMs. */
  baseMs: number;
  maxMs: number;
}

export const JOBS: { readonly [N in JobName]: { queue: QueueName; retry: RetryPolicy; key: (p: JobPayloads[N]) => string } } = {
  'upload.verify': { queue: 'uploads', retry: { attempts: 8, baseMs: 5_000, maxMs: 3_600_000 }, key: (p) => `verify.${p.uploadId}` },
  'upload.import': { queue: 'imports', retry: { attempts: 5, baseMs: 10_000, maxMs: 600_000 }, key: (p) => `import.${p.uploadId}` },
  'asset.process': { queue: 'media', retry: { attempts: 5, baseMs: 10_000, maxMs: 600_000 }, key: (p) => `process.${p.assetId}` },
  // 30 s doubling to 8 h, 13 attempts: the last one about 24 h after the first.
  'webhook.deliver': { queue: 'webhooks', retry: { attempts: 13, baseMs: 30_000, maxMs: 8 * 3_600_000 }, key: (p) => `deliver.${p.deliveryId}` },
};

export interface JobContext {
  readonly id: string;
  /** 1 on the first run. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the job's lease is lost; long work should stop. */
  readonly signal: AbortSignal;
}

export type Handler<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext) => Promise<void>;
export type Handlers = { readonly [N in JobName]: Handler<N> };

/** Thrown by a handler for work that can never succeed (bad media): no retry. */
export class PermanentJobError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'PermanentJobError';
  }
}

/**
 * Thrown by a handler that cannot run the job now for a reason outside the job (its
 * tenant's share of the workers is taken): the job runs again after `delayMs`, and this
 * run does not count as an attempt. It frees the worker slot at once.
 */
export class DeferJobError extends Error {
  constructor(readonly delayMs: number, message = 'deferred') {
    super(message);
    this.name = 'DeferJobError';
  }
}

/** Milliseconds to wait before retry number `attempt` (1 = the first retry). */
export function backoffMs(policy: RetryPolicy, attempt: number, baseOverrideMs: number | null): number {
  const base = baseOverrideMs ?? policy.baseMs;
  return Math.min(base * 2 ** Math.max(0, attempt - 1), policy.maxMs);
}

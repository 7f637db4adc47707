/** The job-queue seam: the embedded backend (the database) and BullMQ implement it. */
import type { Repositories } from '../db/repositories/index.js';
import type { Handlers, Job, QueueName } from './catalogue.js';

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface JobEvents {
  /** A job run finished: `outcome` is how; `ms` how long the handler ran. */
  onRun?(name: string, outcome: 'completed' | 'retry' | 'failed', ms: number): void;
  onError?(err: unknown, context: string): void;
}

export interface WorkerOptions {
  handlers: Handlers;
  concurrency: Readonly<Record<QueueName, number>>;
  events?: JobEvents;
}

export interface Workers {
  /** Stops taking jobs and waits for the running ones to finish (graceful drain). */
  close(): Promise<void>;
  /**
   * Hands the jobs still running back to the queue, due now and their attempt not counted,
   * so another worker takes them at once (a drain whose deadline passed); returns how many.
   * The handlers are not stopped: the process is about to exit.
   */
  release(): Promise<number>;
}

export interface JobQueue {
  readonly backend: 'database' | 'bullmq';
  /**
   * Records the job inside the caller's transaction: it exists only if that commits, so a
   * state change and the job it starts are never separated by a crash. Idempotent per job
   * key (a job already waiting is not added twice).
   */
  enqueue(repos: Repositories, job: Job, opts?: EnqueueOptions): Promise<void>;
  /** Starts workers for every queue in this process. */
  startWorkers(opts: WorkerOptions): Workers;
  /** Job counts per queue, for metrics. */
  counts(): Promise<Record<QueueName, QueueCounts>>;
  /** Throws when the queue cannot be reached, for readiness checks. */
  ping(): Promise<void>;
  /** Releases connections and timers (workers are closed separately, first). */
  close(): Promise<void>;
}

/** Queue depth, job run times and failures for /metrics; registered into the HTTP app's registry. */
import { Counter, Gauge, Histogram, type Metric } from 'prom-client';
import type { JobEvents, JobQueue } from './queue.js';

export function jobMetrics(queue: JobQueue): { metrics: Metric[]; events: Required<Pick<JobEvents, 'onRun'>> } {
  const duration = new Histogram({
    name: 'intake_job_duration_seconds',
    help: 'Time a job handler ran, by job name and outcome (completed, retry, failed).',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600],
    registers: [],
  });
  const failures = new Counter({
    name: 'intake_job_failures_total',
    help: 'Job runs that failed, by job name; final="true" when no retry follows.',
    labelNames: ['name', 'final'] as const,
    registers: [],
  });
  const depth = new Gauge({
    name: 'intake_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [],
    async collect() {
      const counts = await queue.counts().catch(() => null);
      if (!counts) return;
      for (const [q, c] of Object.entries(counts)) for (const [state, n] of Object.entries(c)) this.set({ queue: q, state }, n);
    },
  });
  return {
    metrics: [duration, failures, depth],
    events: {
      onRun(name, outcome, ms) {
        duration.observe({ name, outcome }, ms / 1000);
        if (outcome !== 'completed') failures.inc({ name, final: String(outcome === 'failed') });
      },
    },
  };
}

import type { JobQueue } from '../../src/jobs/queue.js';
import type { AppContext } from '../../src/core/context.js';

/**
 * Deps whose enqueues record nothing: what a crash between a form upload's commit and
 * queueing its completion leaves behind, for tests of the recovery paths (sweeper, start-up).
 */
export function withoutJobs(deps: AppContext): AppContext {
  const jobs: JobQueue = {
    backend: deps.jobs.backend,
    enqueue: async () => undefined,
    startWorkers: (opts) => deps.jobs.startWorkers(opts),
    counts: () => deps.jobs.counts(),
    ping: () => deps.jobs.ping(),
    close: async () => undefined,
  };
  return { ...deps, jobs };
}

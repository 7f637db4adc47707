/**
 * Upload-level metrics (what tusd's users watch), wired to the use cases' UploadObserver:
 * sessions created, completed and failed by kind, the bytes of completed uploads, and the
 * time from session creation to completion. Registered into the API's /metrics registry.
 * In a separate `intake worker` the completions it records are counted in its own process.
 */
import { Counter, Histogram, type Metric } from 'prom-client';
import type { UploadObserver } from '../core/upload-observer.js';

export function uploadMetrics(): { metrics: Metric[]; observer: UploadObserver } {
  const created = new Counter({ name: 'intake_uploads_created_total', help: 'Upload sessions created (JSON sessions, form uploads, duplicates), by kind.', labelNames: ['kind'] as const, registers: [] });
  const completed = new Counter({ name: 'intake_uploads_completed_total', help: 'Upload sessions completed, by kind.', labelNames: ['kind'] as const, registers: [] });
  const failed = new Counter({ name: 'intake_uploads_failed_total', help: 'Upload sessions failed, by kind and error code.', labelNames: ['kind', 'code'] as const, registers: [] });
  const bytes = new Counter({ name: 'intake_bytes_received_total', help: 'Bytes of completed uploads (verified in storage; a duplicate answered from stored content adds none).', registers: [] });
  const duration = new Histogram({
    name: 'intake_upload_duration_seconds',
    help: 'Time from session creation to completion (verified, and processed when the kind is processed), by kind.',
    labelNames: ['kind'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400],
    registers: [],
  });
  return {
    metrics: [created, completed, failed, bytes, duration],
    observer: {
      created: (kind) => created.inc({ kind }),
      completed(kind, n, seconds) {
        completed.inc({ kind });
        if (n > 0) bytes.inc(n);
        duration.observe({ kind }, seconds);
      },
      failed: (kind, code) => failed.inc({ kind, code }),
    },
  };
}

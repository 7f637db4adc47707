/**
 * What the upload lifecycle tells whoever counts it (the composition root wires it to
 * Prometheus, src/main/upload-metrics.ts). Plain callbacks: the use cases never see a
 * metrics library, and a process that wires nothing pays nothing.
 */
export interface UploadObserver {
  /** A session was created (JSON session, form upload, or a duplicate answered at once). */
  created(kind: string): void;
  /** A session completed: its verified bytes, and the seconds from creation to completion. */
  completed(kind: string, bytes: number, seconds: number): void;
  /** A session failed, with the error code it failed with. */
  failed(kind: string, code: string): void;
}

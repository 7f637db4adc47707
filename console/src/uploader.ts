/**
 * One file's upload through the SDK (clients/sdk): keyed steps with the signed-in key
 * (same origin), bytes straight to the signed URLs, parts in parallel and retried.
 * Pause aborts the SDK's pause signal (the session is kept) and resume calls upload()
 * again, which picks the session up from this tab's session storage; cancel aborts its
 * cancel signal, which cancels the session on the server.
 */
import { intakeBackend, upload, webStorageStateStore } from '@intake/sdk';

/** Files above this are sent in parts (so pause keeps what arrived, and progress moves part by part). */
export const RESUMABLE_ABOVE = 8 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;

export type TransferState = 'uploading' | 'paused' | 'done' | 'failed' | 'canceled';

export interface TransferEvents {
  progress(bytesAcknowledged: number): void;
  state(state: TransferState, detail?: { assetId?: string | null; error?: string }): void;
}

export interface Transfer {
  pause(): void;
  resume(): void;
  cancel(): void;
}

export function startTransfer(apiKey: string, file: File, fields: { folder?: string }, events: TransferEvents): Transfer {
  const backend = intakeBackend({ baseUrl: location.origin, apiKey });
  const cancel = new AbortController();
  let pause = new AbortController();
  let running = false;

  const run = async () => {
    running = true;
    pause = new AbortController();
    events.state('uploading');
    try {
      const result = await upload(file, {
        backend,
        fields: fields.folder ? { folder: fields.folder } : undefined,
        resumable: file.size > RESUMABLE_ABOVE,
        partSize: PART_SIZE,
        parallel: 3,
        stateStore: webStorageStateStore(sessionStorage, 'intake.console.upload:'),
        onProgress: (p) => events.progress(p.bytesUploaded),
        signal: cancel.signal,
        pauseSignal: pause.signal,
      });
      events.state('done', { assetId: result.assetId });
    } catch (err) {
      if (cancel.signal.aborted) events.state('canceled');
      else if (pause.signal.aborted) events.state('paused');
      else events.state('failed', { error: (err as Error).message });
    } finally {
      running = false;
    }
  };
  void run();

  return {
    pause: () => pause.abort(),
    resume: () => {
      if (!running && !cancel.signal.aborted) void run();
    },
    cancel: () => {
      cancel.abort();
      // A paused upload has no call running to notice the abort: cancel its session with a fresh one.
      if (!running) void upload(file, { backend, signal: cancel.signal, stateStore: webStorageStateStore(sessionStorage, 'intake.console.upload:') }).catch(() => events.state('canceled'));
    },
  };
}

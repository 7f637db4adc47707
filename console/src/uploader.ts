/**
 * One file's upload through the SDK (clients/sdk): keyed steps with the signed-in key
 * (the console is the key holder's own tool, on Intake's own origin), bytes straight to the
 * signed URLs through XMLHttpRequest (so the bar moves with the bytes), parts in parallel
 * and retried. Pause aborts the SDK's pause signal (the session is kept) and resume calls
 * upload() again, which picks the session up from this tab's session storage and sends only
 * the missing parts; cancel aborts its signal, and the SDK cancels the session on the server.
 * A reload loses the File, not the session: the file chosen again resumes it (see pending.ts).
 */
import { blobSource, intakeBackend, upload, UploadStoppedError, webStorageStateStore } from '@intake/sdk';
import { explain, type IntakeClient } from './api';

/** Files above this are sent in parts (so pause and a reload keep what arrived). */
export const RESUMABLE_ABOVE = 8 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;

export type TransferState = 'uploading' | 'paused' | 'done' | 'failed' | 'canceled';

export interface TransferEvents {
  /** Bytes sent (moving with the network) and acknowledged by storage (what a resume keeps). */
  progress(sent: number, acknowledged: number): void;
  state(state: TransferState, detail?: { assetId?: string | null; error?: string; sent?: number }): void;
}

export interface Transfer {
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** Sessions kept per tab, like the key: a reload of the tab resumes a file chosen again. */
export const sessions = () => webStorageStateStore(sessionStorage, 'intake.console.upload:');

/** The key the SDK keeps a file's session under (name, size, type, modification time). */
export const fingerprintOf = (file: File) => blobSource(file).fingerprint;

export function startTransfer(client: IntakeClient, file: File, fields: { folder?: string }, events: TransferEvents): Transfer {
  const backend = intakeBackend(client);
  const cancel = new AbortController();
  let pause = new AbortController();
  let running = false;
  /** The session of a paused upload, to cancel without running again. */
  let pausedId: string | null = null;

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
        stateStore: sessions(),
        onProgress: (p) => events.progress(p.bytesUploaded, p.bytesAcknowledged),
        signal: cancel.signal,
        pauseSignal: pause.signal,
      });
      events.state('done', { assetId: result.assetId });
    } catch (err) {
      if (err instanceof UploadStoppedError && err.reason === 'paused') {
        pausedId = err.uploadId;
        events.state('paused', { sent: err.bytesSent });
      } else if (err instanceof UploadStoppedError || cancel.signal.aborted) events.state('canceled', { sent: err instanceof UploadStoppedError ? err.bytesSent : undefined });
      else events.state('failed', { error: explain(err) });
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
      if (running) return; // The running upload() cancels its session itself.
      events.state('canceled');
      if (pausedId) backend.cancelUpload(pausedId).catch((err: unknown) => events.state('canceled', { error: explain(err) }));
    },
  };
}

/** Forgets the session kept for `fingerprint` and cancels it on the server (a reload's upload the user gave up on). */
export async function discardSession(client: IntakeClient, fingerprint: string): Promise<void> {
  const store = sessions();
  const kept = await store.get(fingerprint);
  await store.delete(fingerprint);
  if (kept) await intakeBackend(client).cancelUpload(kept.upload_id).catch(() => undefined);
}

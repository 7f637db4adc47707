/**
 * The checkpoint thread (db/checkpointer.ts starts it): its own connection to the database
 * runs a PASSIVE WAL checkpoint every `intervalMs` until told to stop, then one last one;
 * or until fewer than `IDLE_FRAMES` pages were written in the last `idleMs`, when it closes
 * and exits by itself: a quiet server (a lease renewed now and then) does not keep a
 * thread (~10 MB) for work SQLite's own checkpoint does in passing.
 * An entry, never imported (the checkpointer imports its types only): it loads
 * better-sqlite3 and nothing of the project.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/** What the thread is started with (`workerData`). */
export interface CheckpointThreadData {
  file: string;
  intervalMs: number;
  idleMs: number;
}

/** Parent to thread: one last checkpoint, then close. */
export type ToCheckpointThread = 'stop';
/** Thread to parent: its connection is open and checkpointing. */
export type FromCheckpointThread = 'ready';

if (!parentPort) throw new Error('checkpoint-thread runs as a worker thread (db/checkpointer.ts)');
const port = parentPort;
const { file, intervalMs, idleMs } = workerData as CheckpointThreadData;

const db = new SQLite(file, { fileMustExist: true });
const checkpoint = db.prepare<[], { busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(PASSIVE)');
/** Pages written per `idleMs` below which the thread is not worth keeping. */
const IDLE_FRAMES = 100;
// `log` is the WAL's frame count: it grows with each commit and starts again from 0 when
// the writer restarts a WAL that is all checkpointed.
let lastLog = 0;
let written = 0;
let windowStart = Date.now();
const timer = setInterval(() => {
  const { log } = checkpoint.get()!;
  written += log >= lastLog ? log - lastLog : log;
  lastLog = log;
  if (Date.now() - windowStart < idleMs) return;
  if (written < IDLE_FRAMES) return end();
  written = 0;
  windowStart = Date.now();
}, intervalMs);
function end(): void {
  clearInterval(timer);
  checkpoint.get();
  db.close();
  port.close();
}
port.on('message', (m: ToCheckpointThread) => {
  if (m === 'stop') end();
});
port.postMessage('ready' satisfies FromCheckpointThread);

/**
 * The checkpoint thread (db/checkpointer.ts starts it): its own connection to the database
 * runs a PASSIVE WAL checkpoint every `intervalMs` until told to stop, then one last one.
 * An entry, never imported (the checkpointer imports its types only): it loads
 * better-sqlite3 and nothing of the project.
 */
import SQLite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/** What the thread is started with (`workerData`). */
export interface CheckpointThreadData {
  file: string;
  intervalMs: number;
}

/** Parent to thread: one last checkpoint, then close. */
export type ToCheckpointThread = 'stop';
/** Thread to parent: its connection is open and checkpointing. */
export type FromCheckpointThread = 'ready';

if (!parentPort) throw new Error('checkpoint-thread runs as a worker thread (db/checkpointer.ts)');
const port = parentPort;
const { file, intervalMs } = workerData as CheckpointThreadData;

const db = new SQLite(file, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => checkpoint.get(), intervalMs);
port.on('message', (m: ToCheckpointThread) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint.get();
  db.close();
  port.close();
});
port.postMessage('ready' satisfies FromCheckpointThread);

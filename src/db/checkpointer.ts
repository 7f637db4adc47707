/**
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
 * commit that crosses 1,000 WAL pages, on the connection's thread: it copies those pages
 * into the database file and fsyncs both files, and the event loop waits the whole time
 * (under load, the request that happens to cross the threshold waits for all of it).
 *
 * Here the main connection's automatic checkpoint is off, and a worker thread with its own
 * connection runs a PASSIVE checkpoint every `intervalMs`. PASSIVE never waits for a lock
 * and never blocks the writer: commits go on appending to the WAL while it copies, and the
 * writer starts the WAL over once everything in it is in the database file. Durability is
 * unchanged: with `synchronous = NORMAL` a commit is on disk once written to the WAL, and
 * a checkpoint only moves committed pages. If the thread dies, the main connection's
 * automatic checkpoint comes back on, so the WAL never grows without bound.
 *
 * The thread starts with the writes (db/database.ts starts it once the connection has run
 * `START_AFTER_WRITES` writes) and ends itself when a `CHECKPOINT_IDLE_MS` passes with little written, handing
 * checkpoints back to the main connection: an idle server runs no thread for it.
 */
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { moduleEntry } from '../lib/module-entry.js';
import type { CheckpointThreadData, ToCheckpointThread } from './checkpoint-thread.js';

/** The default: WAL pages reach the database file within this long. */
export const CHECKPOINT_INTERVAL_MS = 200;
/** The thread ends itself when one such period passes with next to nothing written (checkpoint-thread.ts). */
export const CHECKPOINT_IDLE_MS = 10_000;
/** Writes on the main connection after which the thread starts (again). */
export const START_AFTER_WRITES = 1000;
/** SQLite's own default, restored on the main connection if the checkpoint thread stops. */
const AUTOCHECKPOINT_PAGES = 1000;

/** The thread's module (checkpoint-thread.ts): a small entry that loads better-sqlite3 and nothing of the project. */
const THREAD = moduleEntry('./checkpoint-thread', import.meta.url);

export interface Checkpointer {
  /** Stops the thread after one last checkpoint; the main connection checkpoints on its own again. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  idleMs?: number;
  /** Called once the thread has ended, whichever way (stop, idle, error). */
  onExit?: () => void;
}

export async function startCheckpointer(sqlite: SQLite.Database, file: string, opts: CheckpointerOptions = {}): Promise<Checkpointer> {
  const { intervalMs = CHECKPOINT_INTERVAL_MS, idleMs = CHECKPOINT_IDLE_MS } = opts;
  // Compiled, the thread inherits this thread's flags as before; from source it needs tsx's hooks.
  const worker = new Worker(THREAD.url, {
    workerData: { file, intervalMs, idleMs } satisfies CheckpointThreadData,
    ...(THREAD.execArgv.length > 0 && { execArgv: THREAD.execArgv }),
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // An error ends the thread ('exit' follows): the main connection takes checkpoints back.
  worker.on('error', () => undefined);
  void exited.then(() => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    opts.onExit?.();
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  sqlite.pragma('wal_autocheckpoint = 0');
  // A process that is done must not stay up for this thread.
  worker.unref();
  return {
    async stop() {
      // Waiting for the thread must keep the process up (it was unref'd while it ran).
      worker.ref();
      worker.postMessage('stop' satisfies ToCheckpointThread);
      await exited;
    },
  };
}

/**
 * The one switch on SQL dialect. Everything above db/ sees a Kysely<Database> and
 * `isUniqueViolation`, never a driver.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider, type SqliteDatabase } from 'kysely';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { CHECKPOINT_IDLE_MS, START_AFTER_WRITES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-upload-attempts.js';
import * as m0003 from './migrations/0003-blob-key-index.js';
import * as m0004 from './migrations/0004-hardening.js';
import * as m0005 from './migrations/0005-alias-key.js';
import * as m0006 from './migrations/0006-contract.js';
import * as m0008 from './migrations/0008-jobs.js';
import * as m0009 from './migrations/0009-multipart.js';
import * as m0010 from './migrations/0010-namespace-name-unique.js';
import * as m0011 from './migrations/0011-rendition-bytes.js';
import * as m0012 from './migrations/0012-verification-lease.js';
import * as m0015 from './migrations/0015-tus.js';
import * as m0017 from './migrations/0017-delivery.js';
import * as m0018 from './migrations/0018-buckets.js';
import * as m0014 from './migrations/0014-upload-uuid.js';
import * as m0021 from './migrations/0021-tus-concat.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * SQLite: WAL checkpoints move to a thread of their own (db/checkpointer.ts) while the
   * process writes, for long-running processes (serve, worker): it starts after
   * `startAfterWrites` writes and ends itself after an `idleMs` with little written. A no-op on
   * PostgreSQL and in-memory SQLite.
   */
  checkpointInBackground(opts?: { startAfterWrites?: number; idleMs?: number }): void;
  /**
   * PostgreSQL: calls `onNotify` on every NOTIFY on `channel` (sent on commit of the
   * transaction that notified), over a connection of its own; resolves with its closer.
   * null on SQLite, which has no notifications: callers poll.
   */
  listen(channel: string, onNotify: () => void, onError: (err: unknown) => void): Promise<{ close(): Promise<void> }> | null;
  close(): Promise<void>;
}

const requireCjs = createRequire(import.meta.url);
let pgModule: typeof pg | undefined;

/** node-postgres, loaded on first use: the embedded default (SQLite) never needs it. */
function loadPg(): typeof pg {
  if (pgModule) return pgModule;
  pgModule = requireCjs('pg') as typeof pg;
  // int8 (sizes) arrives as a string by default; every size Intake stores fits in 2^53.
  pgModule.types.setTypeParser(20, (v) => Number(v));
  pgModule.types.setTypeParser(1700, (v) => Number(v));
  return pgModule;
}

export function openDatabase(url: string, options: { poolSize?: number } = {}): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Only Intake's user may read it; SQLite gives its -wal and -shm files the same mode.
      fs.closeSync(fs.openSync(file, 'a', 0o600));
      fs.chmodSync(file, 0o600);
    }
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Savepoint journals (one per grouped write, db/group-commit.ts) stay in memory: in temp
    // files every statement inside a savepoint would pay a file write for its undo record.
    sqlite.pragma('temp_store = MEMORY');
    // After a burst, a WAL file emptied by its checkpoint is cut back to this size.
    sqlite.pragma('journal_size_limit = 67108864');
    // The checkpoint thread, while the process writes (checkpointInBackground).
    let background: { startAfterWrites: number; idleMs: number } | null = null;
    let checkpointer: Promise<Checkpointer | null> | null = null;
    let writes = 0;
    const onWrite = () => {
      if (!background || checkpointer || ++writes < background.startAfterWrites) return;
      writes = 0;
      const started = startCheckpointer(sqlite, file, { idleMs: background.idleMs, onExit: () => (checkpointer = null) });
      // A thread that cannot start leaves SQLite's own checkpoints on: slower, never wrong.
      checkpointer = started.catch(() => {
        background = null;
        return null;
      });
    };
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, onWrite) }) });
    return {
      kysely,
      dialect: 'sqlite',
      listen: () => null,
      checkpointInBackground(opts = {}) {
        if (file === ':memory:') return;
        background = { startAfterWrites: opts.startAfterWrites ?? START_AFTER_WRITES, idleMs: opts.idleMs ?? CHECKPOINT_IDLE_MS };
      },
      async close() {
        background = null;
        await (await checkpointer)?.stop();
        await kysely.destroy();
      },
    };
  }
  const pool = new (loadPg().Pool)({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client whose connection the server ended (a restart, an admin's terminate) is
  // dropped by the pool and replaced on the next checkout; unhandled, it would crash the process.
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', checkpointInBackground: () => undefined, listen: (channel, onNotify, onError) => listenPg(url, channel, onNotify, onError), close: () => kysely.destroy() };
}

/** LISTEN on a client of its own; a lost connection is reported and re-made a second later (polling covers the gap). */
async function listenPg(url: string, channel: string, onNotify: () => void, onError: (err: unknown) => void): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new (loadPg().Client)({ connectionString: url, connectionTimeoutMillis: 10_000 });
    client = c;
    c.on('notification', (msg) => msg.channel === channel && onNotify());
    c.on('error', (err) => {
      onError(err);
      c.end().catch(() => undefined);
      if (!closed && client === c) {
        retry = setTimeout(() => void connect().catch(onError), 1000);
        retry.unref();
      }
    });
    await c.connect();
    await c.query(`LISTEN ${escapeIdentifier(channel)}`);
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

function escapeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Kysely's SQLite driver prepares every query afresh, and preparing a small statement costs
 * more than running it. Statements are reusable, so keep them by SQL text.
 */
function withStatementCache(sqlite: SQLite.Database, onWrite: () => void): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    // Kysely's driver prepares each query right before running it, once.
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        if (cache.size >= 1000) cache.clear();
        stmt = sqlite.prepare(text);
        cache.set(text, stmt);
      }
      if (!stmt.reader) onWrite();
      return stmt;
    },
  } as SqliteDatabase;
}

/**
 * Connects to PostgreSQL once, on its own short-lived client with a connect timeout, and
 * runs `select 1`: at start, an unreachable server is an error in seconds rather than a
 * pool that waits forever. A no-op for SQLite.
 */
export async function probeDatabase(url: string, timeoutMs = 10_000): Promise<void> {
  if (url.startsWith('sqlite:')) return;
  const client = new (loadPg().Client)({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-upload-attempts': m0002,
  '0003-blob-key-index': m0003,
  '0004-hardening': m0004,
  '0005-alias-key': m0005,
  '0006-contract': m0006,
  '0008-jobs': m0008,
  '0009-multipart': m0009,
  '0010-namespace-name-unique': m0010,
  '0011-rendition-bytes': m0011,
  '0012-verification-lease': m0012,
  '0014-upload-uuid': m0014,
  '0015-tus': m0015,
  '0017-delivery': m0017,
  '0018-buckets': m0018,
  '0021-tus-concat': m0021,
};

export async function migrateToLatest(db: Db): Promise<void> {
  await migrateUpTo(db, null);
}

/** Runs the migrations up to and including `last` (all with null): tests of one migration meet the data that came before it. */
export async function migrateUpTo(db: Db, last: string | null): Promise<void> {
  const chosen = last === null ? migrations : Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last));
  const provider: MigrationProvider = { getMigrations: async () => chosen };
  // Migrations that landed out of number order (0014 after 0015 and 0017) are independent of
  // one another: a database that has the later ones takes the earlier one too.
  const { error } = await new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true }).migrateToLatest();
  if (error) throw error;
}

/** True when `err` is a unique-index violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when `err` means the database could not be reached (so the caller may retry). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001', 'SQLITE_BUSY'].includes(e?.code ?? '');
}

/**
 * WAL checkpoints on their own thread (db/checkpointer.ts) while the process writes: it
 * starts after a number of writes, the main connection's automatic checkpoint is then off,
 * yet committed pages reach the database file; stopping, or the thread ending itself when
 * nothing has been written for a while, hands the job back to the main connection.
 * Savepoint journals live in memory (temp_store).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../../src/db/database.js';
import SQLite from 'better-sqlite3';
import type { CheckpointThreadData, FromCheckpointThread, ToCheckpointThread } from '../../src/db/checkpoint-thread.js';
import { startCheckpointer } from '../../src/db/checkpointer.js';
import { moduleEntry } from '../../src/lib/module-entry.js';
import { eventually } from '../helpers/intake.js';

describe('SQLite checkpoints on a thread of their own', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-checkpointer-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pragma = async (db: Db, name: string) => (await sql<Record<string, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(db.kysely)).rows[0]![name];

  it('starts with the writes, then moves committed pages into the database file while the main connection never checkpoints', async () => {
    const file = path.join(dir, 'a.db');
    const db = openDatabase(`sqlite:${file}`);
    try {
      await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`.execute(db.kysely);
      db.checkpointInBackground({ startAfterWrites: 10 });
      assert.equal(await pragma(db, 'wal_autocheckpoint'), 1000, 'no thread before the writes: SQLite checkpoints as usual');
      assert.equal(await pragma(db, 'temp_store'), 2, 'savepoint journals in memory');
      for (let i = 0; i < 10; i++) await sql`INSERT INTO t (v) VALUES ('warm')`.execute(db.kysely);
      await eventually(async () => (await pragma(db, 'wal_autocheckpoint')) === 0, 10_000, 'the thread to start and take the checkpoints over');
      const sizeBefore = fs.statSync(file).size;
      // ~4 MB of rows in small commits: only a checkpoint can bring them into the main file.
      const value = 'x'.repeat(4000);
      for (let i = 0; i < 1000; i++) await sql`INSERT INTO t (v) VALUES (${value})`.execute(db.kysely);
      await eventually(async () => fs.statSync(file).size > sizeBefore + 3_000_000, 10_000, 'the database file to take the checkpointed pages');
      const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db.kysely);
      assert.equal(rows.rows[0]!.n, 1010);
    } finally {
      await db.close();
    }
    // Closed cleanly: the WAL is gone and every row is in the file.
    assert.equal(fs.existsSync(`${file}-wal`), false);
  });

  it('ends itself when nothing is written, handing checkpoints back; the next writes start it again', async () => {
    const file = path.join(dir, 'e.db');
    const db = openDatabase(`sqlite:${file}`);
    try {
      await sql`CREATE TABLE t (v TEXT)`.execute(db.kysely);
      db.checkpointInBackground({ startAfterWrites: 5, idleMs: 300 });
      for (let i = 0; i < 5; i++) await sql`INSERT INTO t (v) VALUES ('a')`.execute(db.kysely);
      await eventually(async () => (await pragma(db, 'wal_autocheckpoint')) === 0, 10_000, 'the thread to start');
      // Quiet: within the idle time and a few checkpoint intervals, SQLite's own checkpoint is back.
      await eventually(async () => (await pragma(db, 'wal_autocheckpoint')) === 1000, 10_000, 'the idle thread to end');
      for (let i = 0; i < 5; i++) await sql`INSERT INTO t (v) VALUES ('b')`.execute(db.kysely);
      await eventually(async () => (await pragma(db, 'wal_autocheckpoint')) === 0, 10_000, 'the thread to start again');
    } finally {
      await db.close();
    }
    assert.equal(fs.existsSync(`${file}-wal`), false);
  });

  it('stopping the thread gives checkpoints back to the main connection', async () => {
    const file = path.join(dir, 'b.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    try {
      const checkpointer = await startCheckpointer(sqlite, file, { intervalMs: 50 });
      assert.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 0);
      await checkpointer.stop();
      assert.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, 'SQLite\'s own checkpoint is back');
    } finally {
      sqlite.close();
    }
  });

  it('a thread that cannot start leaves SQLite\'s own checkpoints on', async () => {
    const file = path.join(dir, 'c.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    try {
      // The thread's connection needs the file to exist: this one does not.
      await assert.rejects(startCheckpointer(sqlite, path.join(dir, 'missing.db'), { intervalMs: 50 }));
      assert.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000);
    } finally {
      sqlite.close();
    }
  });

  it('the thread runs from its own module file: ready, then one last checkpoint and out on stop', async () => {
    const file = path.join(dir, 'd.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('wal_autocheckpoint = 0');
    try {
      sqlite.exec('CREATE TABLE t (v TEXT)');
      const entry = moduleEntry('../../src/db/checkpoint-thread', import.meta.url);
      // A long interval: only the checkpoint on stop can move the pages.
      const worker = new Worker(entry.url, { execArgv: entry.execArgv, workerData: { file, intervalMs: 60_000, idleMs: 600_000 } satisfies CheckpointThreadData });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      assert.equal(await new Promise<FromCheckpointThread>((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject))), 'ready');
      sqlite.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000));
      const sizeBefore = fs.statSync(file).size;
      worker.postMessage('stop' satisfies ToCheckpointThread);
      assert.equal(await exited, 0);
      assert.ok(fs.statSync(file).size > sizeBefore + 50_000, 'the last checkpoint moved the row into the database file');
    } finally {
      sqlite.close();
    }
  });

  it('is a no-op for an in-memory database', async () => {
    const db = openDatabase('sqlite::memory:');
    db.checkpointInBackground({ startAfterWrites: 1 });
    await sql`CREATE TABLE t (v TEXT)`.execute(db.kysely);
    await sql`INSERT INTO t (v) VALUES ('a')`.execute(db.kysely);
    assert.equal(await pragma(db, 'wal_autocheckpoint'), 1000);
    await db.close();
  });
});

/**
 * Throw-away databases for tests: a SQLite file in a temp folder, or a fresh database
 * on a PostgreSQL server (INTAKE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432)
 * that is dropped afterwards, even when the tests failed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { migrateToLatest, openDatabase, type Db, type Dialect } from '../../src/db/database.js';
import { createStore, type Store } from '../../src/db/repositories/index.js';

export const PG_SERVER_URL = process.env.INTAKE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  dialect: Dialect;
  /** A URL openDatabase() (and INTAKE_DATABASE_URL) accepts. */
  url: string;
  /** Removes the database; safe to call more than once. */
  drop(): Promise<void>;
}

/** The server URL pointed at another database (the server's own `postgres` by default). */
function withDatabase(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** A maintenance connection: the database the URL names, else `postgres`. */
function maintenanceUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  return u.pathname.length > 1 ? serverUrl : withDatabase(serverUrl, 'postgres');
}

async function admin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(serverUrl), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL not reachable at ${maintenanceUrl(serverUrl)} (set INTAKE_TEST_PG_URL): ${(err as Error).message}`, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new, empty PostgreSQL database with a random name (intake_test_<hex>). */
export async function createPostgresDatabase(serverUrl = PG_SERVER_URL): Promise<TestDatabase> {
  const name = `intake_test_${randomBytes(8).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  let dropped = false;
  return {
    dialect: 'postgres',
    url: withDatabase(serverUrl, name),
    async drop() {
      if (dropped) return;
      // WITH (FORCE) ends connections a failed test may have leaked (PostgreSQL 13+).
      await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}

/** A SQLite file in a new temp folder; drop() removes the folder. */
export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-db-'));
  return {
    dialect: 'sqlite',
    url: `sqlite:${path.join(dir, 'intake.db')}`,
    drop: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

export function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  return dialect === 'postgres' ? createPostgresDatabase() : createSqliteDatabase();
}

/** Runs `fn` with the URL of a fresh PostgreSQL database, dropping it afterwards. */
export async function withPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createPostgresDatabase();
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

export interface TestStore {
  dialect: Dialect;
  db: Db;
  store: Store;
  /** Closes the connection and drops the database. */
  close(): Promise<void>;
}

/** A migrated database of the given dialect with a Store over it. */
export async function openTestStore(dialect: Dialect): Promise<TestStore> {
  const target = await createTestDatabase(dialect);
  let db: Db | undefined;
  const close = async () => {
    try {
      await db?.close();
    } finally {
      await target.drop();
    }
  };
  try {
    db = openDatabase(target.url, { poolSize: 4 });
    await migrateToLatest(db);
    return { dialect, db, store: createStore(db.kysely, { groupCommit: dialect === 'sqlite', notifies: dialect === 'postgres' }), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A fresh database of `dialect` for each describe() that calls it, opened before its tests
 * and dropped after them (migration tests: they migrate it themselves).
 */
export function useFreshDatabase(dialect: Dialect): () => Db {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  before(async () => {
    database = await createTestDatabase(dialect);
    db = openDatabase(database.url);
  });
  after(async () => {
    await db?.close();
    await database?.drop();
  });
  return () => db!;
}
